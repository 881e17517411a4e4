import { describe, expect, it } from 'vitest';
import { parseFlinkProperties, planFlinkEntrypoint } from '../../../src/node-agent/flink-entrypoint.ts';

// Flinkvisor composes FLINK_PROPERTIES from layers, one after the other, so a key may appear more
// than once and the later line must win, as in Flink's entrypoint, which appends the variable to
// its configuration.

describe('parseFlinkProperties on layered text', () => {
  it('lets a repeated key take its last value (one YAML document would reject the text)', () => {
    expect(parseFlinkProperties('a: 1\nweb.timeout: 10\nb: x\nweb.timeout: 20\n')).toEqual({
      a: 1,
      b: 'x',
      'web.timeout': 20,
    });
  });

  it('merges a nested block with a later dotted key, key by key', () => {
    const text = [
      'state:',
      '  backend:',
      '    type: hashmap',
      '    incremental: true',
      'rest.port: 9999',
      'state.backend.type: rocksdb',
      'rest.port: 8081',
    ].join('\n');
    expect(parseFlinkProperties(text)).toEqual({
      'state.backend.type': 'rocksdb',
      'state.backend.incremental': true,
      'rest.port': 8081,
    });
  });

  it('ignores a `$(VAR)` line the kubelet left unexpanded, comments and document markers', () => {
    const text = 'a: 1\n$(FLINK_PROPERTIES)\n# a comment\n---\n  $(OTHER_VAR)  \nb: 2\n';
    expect(parseFlinkProperties(text)).toEqual({ a: 1, b: 2 });
  });

  it('reads a legacy line YAML rejects, and a later layer still wins over it', () => {
    expect(parseFlinkProperties('env.java.opts: -Da=b: c\nx: 1\n')).toEqual({
      'env.java.opts': '-Da=b: c',
      x: 1,
    });
    expect(parseFlinkProperties('env.java.opts: -Da=b: c\nenv.java.opts: -Xss1m\n')).toEqual({
      'env.java.opts': '-Xss1m',
    });
  });

  it('gives the entrypoint the last layer’s value, the pod network aside', () => {
    const plan = planFlinkEntrypoint({
      args: ['jobmanager'],
      env: {
        JOB_MANAGER_RPC_ADDRESS: 'jobmanager-demo',
        FLINK_PROPERTIES:
          'execution.checkpointing.dir: file:///derived\nweb.refresh-interval: 12345\nrest.port: 9999\n' +
          'rest.bind-address: 0.0.0.0\nweb.refresh-interval: 1000\nrest.port: 8081\n',
      },
      distributionConfig: { 'rest.port': 8081 },
      podIp: '127.0.0.20',
    });
    expect(plan.config['web.refresh-interval']).toBe(1000);
    expect(plan.config['rest.port']).toBe(8081);
    expect(plan.config['execution.checkpointing.dir']).toBe('file:///derived');
    expect(plan.config['rest.bind-address']).toBe('127.0.0.20');
  });
});
