import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSpecFile } from '../../../src/cli/client-commands.ts';
import {
  apiPath,
  connectionFrom,
  ControlApiError,
  exitCodeForStatus,
  tokenFromKubeConfig,
  type ClientOptions,
} from '../../../src/cli/control-api-client.ts';
import { EXIT, exitCodeFor, UsageError } from '../../../src/cli/exit-codes.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-cli-'));
});

function kubeconfig(user: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    '  cluster:',
    '    server: https://127.0.0.1:6443',
    'users:',
    '- name: u',
    '  user:',
    ...user.split('\n').map((l) => `    ${l}`),
    'contexts:',
    '- name: x',
    '  context:',
    '    cluster: c',
    '    user: u',
    'current-context: x',
    '',
  ].join('\n');
}

const options = (o: Partial<ClientOptions> = {}): ClientOptions => ({
  host: 'localhost',
  port: '4444',
  output: 'table',
  ...o,
});

describe('exit codes', () => {
  it('tell a missing resource, a conflict, missing rights and bad input apart', () => {
    expect([400, 401, 403, 404, 409, 500, 503].map(exitCodeForStatus)).toEqual([
      EXIT.usage,
      EXIT.unauthorized,
      EXIT.forbidden,
      EXIT.notFound,
      EXIT.conflict,
      EXIT.failure,
      EXIT.failure,
    ]);
    const err = new ControlApiError(400, {
      error: 'Invalid',
      message: 'FlinkJob spec is invalid',
      fields: [{ path: 'spec.jobParallelism', message: 'too small' }],
    });
    expect(exitCodeFor(err)).toBe(EXIT.usage);
    expect(err.message).toBe('FlinkJob spec is invalid (HTTP 400 Invalid)\n  spec.jobParallelism: too small');
  });
});

describe('the token', () => {
  it('comes from the kubeconfig user: a token, or a token file', async () => {
    const withToken = join(dir, 'token.yaml');
    await writeFile(withToken, kubeconfig('token: abc123'));
    expect(await tokenFromKubeConfig(withToken)).toBe('abc123');
    const tokenFile = join(dir, 'sa-token');
    await writeFile(tokenFile, 'from-file-token');
    const withFile = join(dir, 'file.yaml');
    await writeFile(
      withFile,
      kubeconfig(`auth-provider:\n  name: tokenfile\n  config:\n    tokenFile: ${tokenFile}`),
    );
    expect(await tokenFromKubeConfig(withFile)).toBe('from-file-token');
  });

  it('--token wins; a kubeconfig user without a token is a usage error naming the fix', async () => {
    const certs = join(dir, 'certs.yaml');
    await writeFile(certs, kubeconfig('username: admin\npassword: x'));
    expect(
      (
        await connectionFrom(options({ token: 't', kubeconfig: certs }), {
          env: {},
          stdout: process.stdout,
          stderr: process.stderr,
        })
      ).token,
    ).toBe('t');
    await expect(
      connectionFrom(options({ kubeconfig: certs }), {
        env: {},
        stdout: process.stdout,
        stderr: process.stderr,
      }),
    ).rejects.toThrow(/no --token, and the kubeconfig user has no bearer token/);
    const fromEnv = join(dir, 'env.yaml');
    await writeFile(fromEnv, kubeconfig('token: env-token'));
    const conn = await connectionFrom(options({ namespace: 'ns', port: '5555', plainHttp: true }), {
      env: { KUBECONFIG: fromEnv },
      stdout: process.stdout,
      stderr: process.stderr,
    });
    expect(conn).toEqual({ baseUrl: 'http://localhost:5555', token: 'env-token', namespace: 'ns' });
  });

  it('sends no token with a client certificate and no --token; a ServiceAccount user gets an audience-bound token source', async () => {
    const ctx = { env: {}, stdout: process.stdout, stderr: process.stderr };
    const cert = join(dir, 'client.crt');
    await writeFile(cert, 'not read until connecting');
    const withCert = await connectionFrom(options({ certFile: cert, keyFile: cert }), ctx);
    expect(withCert.token).toBeUndefined();
    expect(withCert.tokenSource).toBeUndefined();
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const saToken = `${part({ alg: 'RS256' })}.${part({ sub: 'system:serviceaccount:ns:sa' })}.sig`;
    const sa = join(dir, 'sa.yaml');
    await writeFile(sa, kubeconfig(`token: ${saToken}`));
    const fromSa = await connectionFrom(options({ kubeconfig: sa }), ctx);
    expect(fromSa.token).toBe(saToken);
    expect(typeof fromSa.tokenSource).toBe('function');
  });

  it('refuses contradicting options', async () => {
    const ctx = { env: {}, stdout: process.stdout, stderr: process.stderr };
    await expect(connectionFrom(options({ token: 't', port: 'x' }), ctx)).rejects.toThrow(UsageError);
    await expect(
      connectionFrom(options({ token: 't', plainHttp: true, caFile: '/ca.pem' }), ctx),
    ).rejects.toThrow(UsageError);
    await expect(connectionFrom(options({ token: 't', certFile: '/c.pem' }), ctx)).rejects.toThrow(
      /go together/,
    );
    await expect(
      connectionFrom(options({ token: 't', caFile: join(dir, 'missing.pem') }), ctx),
    ).rejects.toThrow(/cannot read the CA file/);
  });
});

describe('spec files and paths', () => {
  it('reads a spec from JSON or YAML, alone or inside a whole resource', async () => {
    const json = join(dir, 'spec.json');
    await writeFile(json, JSON.stringify({ taskManagers: 2 }));
    expect(await readSpecFile(json, 'cluster spec')).toEqual({ taskManagers: 2 });
    const yaml = join(dir, 'fc.yaml');
    await writeFile(
      yaml,
      'apiVersion: flinkvisor.io/v1\nkind: FlinkCluster\nmetadata:\n  name: demo\nspec:\n  taskManagers: 3\n',
    );
    expect(await readSpecFile(yaml, 'cluster spec')).toEqual({ taskManagers: 3 });
    const list = join(dir, 'list.yaml');
    await writeFile(list, '- a\n- b\n');
    await expect(readSpecFile(list, 'cluster spec')).rejects.toThrow(UsageError);
    await expect(readSpecFile(join(dir, 'none.yaml'), 'cluster spec')).rejects.toThrow(
      /cannot read the cluster spec file/,
    );
  });

  it('encodes path segments', () => {
    expect(apiPath('clusters', 'demo', 'taskmanagers', '127.0.0.2:345-a b')).toBe(
      '/clusters/demo/taskmanagers/127.0.0.2%3A345-a%20b',
    );
  });
});
