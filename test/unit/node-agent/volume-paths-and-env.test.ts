import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerEnvironment, expandReferences } from '../../../src/node-agent/container-env.ts';
import { rewritePath, rewritePathsIn } from '../../../src/node-agent/volume-paths.ts';
import type { VolumeSources } from '../../../src/node-agent/volumes.ts';

const mounts = [
  { mountPath: '/flink-data', hostPath: '/agent/shared/host/data', readOnly: false },
  { mountPath: '/flink-data/savepoints', hostPath: '/agent/pvc/sp', readOnly: false },
];

describe('volume path mapping', () => {
  it('maps plain and file: paths by the longest mount path', () => {
    expect(rewritePath('/flink-data/x', mounts)).toBe('/agent/shared/host/data/x');
    expect(rewritePath('file:///flink-data/savepoints/sp-1', mounts)).toBe('file:///agent/pvc/sp/sp-1');
    expect(rewritePath('file:/flink-data', mounts)).toBe('file:/agent/shared/host/data');
  });

  it('leaves other values alone, including look-alike prefixes', () => {
    expect(rewritePath('/flink-database', mounts)).toBe('/flink-database');
    expect(rewritePath('s3://bucket/flink-data', mounts)).toBe('s3://bucket/flink-data');
    expect(rewritePath('relative/flink-data', mounts)).toBe('relative/flink-data');
  });

  it('rewrites paths inside option strings', () => {
    expect(rewritePathsIn('-Dlog.dir=/flink-data/log --conf /flink-data/c.yaml', mounts)).toBe(
      '-Dlog.dir=/agent/shared/host/data/log --conf /agent/shared/host/data/c.yaml',
    );
  });
});

describe('container environment', () => {
  const pod: V1Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } },
    spec: { serviceAccountName: 'sa', containers: [] },
  };
  const sources: VolumeSources = {
    configMap: async (_ns, name) => (name === 'cm' ? { A: '1', B: '2' } : undefined),
    secret: async (_ns, name) => (name === 's' ? { KEY: 'secret-value' } : undefined),
    serviceAccountToken: async () => undefined,
  };
  const facts = { podIp: '127.0.0.9', nodeName: 'n', hostIp: '127.0.0.1' };

  it('builds envFrom then env, with field refs, key refs and $(VAR) expansion', async () => {
    const env = await containerEnvironment(
      pod,
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
        env: [
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'KEY' } } },
          { name: 'URL', value: 'http://$(IP):8081/$(MISSING)/$$' },
        ],
      },
      facts,
      sources,
    );
    expect(env).toEqual({
      CM_A: '1',
      CM_B: '2',
      IP: '127.0.0.9',
      NS: 'ns',
      APP: 'x',
      TOKEN: 'secret-value',
      URL: 'http://127.0.0.9:8081/$(MISSING)/$',
    });
  });

  it('fails clearly on a missing required secret key, and tolerates an optional one', async () => {
    await expect(
      containerEnvironment(
        pod,
        { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'NOPE' } } }] },
        facts,
        sources,
      ),
    ).rejects.toThrow('secret key s/NOPE not found');
    const env = await containerEnvironment(
      pod,
      {
        name: 'c',
        env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'K', optional: true } } }],
      },
      facts,
      sources,
    );
    expect(env).toEqual({});
  });

  it('expands only known references', () => {
    expect(expandReferences('$(A)-$(B)', { A: 'x' })).toBe('x-$(B)');
  });
});
