import { describe, expect, it } from 'vitest';
import { problemFromKubernetes, toProblem } from '../../../src/control-api/errors.ts';
import { openApiDocument } from '../../../src/control-api/openapi.ts';
import { API_PREFIX, ROUTES } from '../../../src/control-api/routes.ts';
import {
  FlinkInvalidResponseError,
  FlinkNotFoundError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from '../../../src/flink/errors.ts';
import { apiError } from '../../support/in-memory-custom-resources.ts';

describe('problems', () => {
  it('maps Kubernetes failures to honest statuses; our own missing permission is a 500, not the caller’s 403', () => {
    expect(problemFromKubernetes(apiError(404, 'NotFound', 'x'), 'FlinkJob ns/a').status).toBe(404);
    expect(problemFromKubernetes(apiError(409, 'AlreadyExists', 'x'), 'FlinkJob ns/a').body()).toEqual({
      error: 'AlreadyExists',
      message: 'FlinkJob ns/a already exists',
    });
    expect(problemFromKubernetes(apiError(409, 'Conflict', 'x'), 'FlinkJob ns/a').status).toBe(409);
    const forbidden = problemFromKubernetes(
      apiError(403, 'Forbidden', 'flinkjobs is forbidden'),
      'FlinkJob ns/a',
    );
    expect(forbidden.status).toBe(500);
    expect(forbidden.error).toBe('ControlApiNotPermitted');
    expect(problemFromKubernetes(apiError(500, 'InternalError', 'etcd'), 'x').status).toBe(502);
  });

  it('names the invalid fields of a 422, and the unknown fields strict validation refuses', () => {
    const err422 = apiError(
      422,
      'Invalid',
      'FlinkJob.flinkvisor.io "a" is invalid: spec.jobParallelism: Invalid value',
    );
    (err422 as unknown as { body: string }).body = JSON.stringify({
      code: 422,
      reason: 'Invalid',
      message: 'FlinkJob.flinkvisor.io "a" is invalid: spec.jobParallelism: Invalid value',
      details: { causes: [{ field: 'spec.jobParallelism', message: 'Invalid value: -1' }] },
    });
    expect(problemFromKubernetes(err422, 'x').body()).toMatchObject({
      error: 'Invalid',
      fields: [{ path: 'spec.jobParallelism', message: 'Invalid value: -1' }],
    });
    const strict = apiError(
      400,
      'BadRequest',
      '.spec.savepoint.savepointModee: field not declared in schema; strict decoding error: unknown field "spec.savepoint.savepointModee"',
    );
    expect(problemFromKubernetes(strict, 'x').fields).toEqual([
      { path: 'spec.savepoint.savepointModee', message: 'unknown field' },
    ]);
  });

  it('maps Flink failures: 404 stays, unreachable is 503, slow is 504, a bad answer is 502', () => {
    expect(toProblem(new FlinkNotFoundError('no job')).status).toBe(404);
    expect(toProblem(new FlinkUnavailableError('refused')).status).toBe(503);
    expect(toProblem(new FlinkTimeoutError('headers', 100)).status).toBe(504);
    expect(toProblem(new FlinkInvalidResponseError('not json')).status).toBe(502);
  });

  it('answers 503 when the Kubernetes API cannot be reached, 500 for a bug (without its message)', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(toProblem(refused).status).toBe(503);
    const bug = toProblem(new TypeError("Cannot read properties of undefined (reading 'spec')"));
    expect(bug.body()).toEqual({ error: 'InternalError', message: 'internal error' });
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          responses: Record<string, unknown>;
          parameters: { name: string; in: string; schema?: { pattern?: string; maxLength?: number } }[];
          requestBody?: unknown;
        }
      >
    >;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    security: unknown[];
  };

  it('describes every route of the table, with its parameters, success and error statuses', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const op = doc.paths[`${API_PREFIX}${route.path}`]?.[route.method.toLowerCase()];
      expect(op?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      expect(Object.keys(op?.responses ?? {})).toContain(String(route.success.status));
      for (const status of ['401', '403', '500', '503', ...route.errors.map(String)]) {
        expect(Object.keys(op?.responses ?? {}), `${route.operationId} ${status}`).toContain(status);
      }
      const pathParams = (op?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParams).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      expect(Boolean(op?.requestBody)).toBe(route.body !== 'none');
    }
    // Either a token or a client certificate (ADR 0022).
    expect(doc.security).toEqual([{ bearer: [] }, { clientCertificate: [] }]);
    expect(doc.components.securitySchemes['clientCertificate']).toMatchObject({ type: 'mutualTLS' });
    expect(doc.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('says what a name in the path or the namespace must be, and documents the 400 for one that is not', () => {
    const op = doc.paths[`${API_PREFIX}/clusters/{cluster}/jobs/{job}/status`]?.['get'];
    const schemaOf = (name: string) => op?.parameters.find((p) => p.name === name)?.schema;
    for (const name of ['cluster', 'job']) {
      const pattern = new RegExp(schemaOf(name)?.pattern ?? '');
      expect(pattern.test('orders-1'), name).toBe(true);
      expect(pattern.test('Orders'), name).toBe(false);
      expect(schemaOf(name)?.maxLength, name).toBe(63);
    }
    // The namespace may be empty (the server's default) or a DNS label.
    const namespace = new RegExp(schemaOf('namespace')?.pattern ?? '');
    expect(['', 'flink-prod'].map((v) => namespace.test(v))).toEqual([true, true]);
    expect(['Prod', 'a/b', '-a'].map((v) => namespace.test(v))).toEqual([false, false, false]);
    expect(Object.keys(op?.responses ?? {})).toContain('400');
    // A route that names nothing cannot answer 400.
    expect(Object.keys(doc.paths[`${API_PREFIX}/openapi.json`]?.['get']?.responses ?? {})).not.toContain(
      '400',
    );
  });

  it('has every schema it refers to', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(refs.length).toBeGreaterThan(30);
    for (const ref of new Set(refs)) expect(doc.components.schemas[ref], ref).toBeDefined();
  });
});
