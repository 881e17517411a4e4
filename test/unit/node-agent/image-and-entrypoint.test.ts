import { describe, expect, it } from 'vitest';
import { planFlinkEntrypoint, parseFlinkProperties } from '../../../src/node-agent/flink-entrypoint.ts';
import { DEFAULT_IMAGE_MAP, resolveImage, splitImage } from '../../../src/node-agent/image-resolver.ts';

describe('image resolution', () => {
  it.each([
    ['flink:1.20', { kind: 'flink', line: '1.20' }],
    ['flink:1.20.3-scala_2.12-java17', { kind: 'flink', line: '1.20' }],
    ['apache/flink:2.3-java17', { kind: 'flink', line: '2.3' }],
    ['docker.io/library/flink:2.3.0', { kind: 'flink', line: '2.3' }],
    ['flink', { kind: 'flink', line: '2.3' }],
    ['flinkvisor:0.1.0', { kind: 'flinkvisor' }],
    ['ghcr.io/flinkvisor/flinkvisor@sha256:abc', { kind: 'flinkvisor' }],
    ['node:26', { kind: 'node' }],
  ])('%s', (image, expected) => {
    expect(resolveImage(image, DEFAULT_IMAGE_MAP)).toEqual(expected);
  });

  it('refuses a Flink line it has no distribution for, and unknown images, with a reason', () => {
    const old = resolveImage('flink:1.17', DEFAULT_IMAGE_MAP);
    expect(old.kind).toBe('unsupported');
    expect(old.kind === 'unsupported' && old.reason).toContain('1.17');
    expect(resolveImage('busybox', DEFAULT_IMAGE_MAP).kind).toBe('unsupported');
  });

  it('honours the configurable map', () => {
    expect(
      resolveImage('registry.local/team/flink-job:7', {
        ...DEFAULT_IMAGE_MAP,
        flinkImages: { 'registry.local/team/flink-job:7': '1.20' },
      }),
    ).toEqual({
      kind: 'flink',
      line: '1.20',
    });
  });

  it('splits registry ports from tags', () => {
    expect(splitImage('localhost:5000/flink:1.20')).toEqual({
      repository: 'localhost:5000/flink',
      tag: '1.20',
    });
    expect(splitImage('localhost:5000/flink')).toEqual({ repository: 'localhost:5000/flink', tag: 'latest' });
  });
});

describe('the official Flink entrypoint contract', () => {
  const base = {
    'jobmanager.rpc.address': 'localhost',
    'taskmanager.numberOfTaskSlots': 1,
    'rest.bind-address': 'localhost',
  };

  it('runs jobmanager.sh start-foreground with the RPC address, fixed ports and the pod IP as bind address', () => {
    const plan = planFlinkEntrypoint({
      args: ['jobmanager', '-Dfoo=bar'],
      env: { JOB_MANAGER_RPC_ADDRESS: 'jobmanager-demo' },
      distributionConfig: base,
      podIp: '127.0.0.20',
    });
    expect(plan.role).toBe('jobmanager');
    expect(plan.script).toBe('jobmanager.sh');
    expect(plan.args).toEqual(['start-foreground', '-Dfoo=bar']);
    expect(plan.config['jobmanager.rpc.address']).toBe('jobmanager-demo');
    expect(plan.config['blob.server.port']).toBe(6124);
    expect(plan.config['jobmanager.bind-host']).toBe('127.0.0.20');
    expect(plan.config['rest.bind-address']).toBe('127.0.0.20');
  });

  it('sets task slots from TASK_MANAGER_NUMBER_OF_TASK_SLOTS and lets FLINK_PROPERTIES win, except the pod network', () => {
    const plan = planFlinkEntrypoint({
      args: ['taskmanager'],
      env: {
        TASK_MANAGER_NUMBER_OF_TASK_SLOTS: '3',
        FLINK_PROPERTIES:
          'taskmanager.numberOfTaskSlots: 4\nstate.savepoints.dir: file:///flink-data/sp\ntaskmanager.bind-host: 0.0.0.0\n',
        ENABLE_BUILT_IN_PLUGINS: 'flink-s3-fs-hadoop-1.20.5.jar; flink-metrics-prometheus.jar',
      },
      distributionConfig: base,
      podIp: '127.0.0.21',
    });
    expect(plan.script).toBe('taskmanager.sh');
    expect(plan.config['taskmanager.numberOfTaskSlots']).toBe(4);
    expect(plan.config['state.savepoints.dir']).toBe('file:///flink-data/sp');
    expect(plan.config['taskmanager.bind-host']).toBe('127.0.0.21');
    expect(plan.plugins).toEqual(['flink-s3-fs-hadoop-1.20.5.jar', 'flink-metrics-prometheus.jar']);
  });

  it('passes other commands through', () => {
    const plan = planFlinkEntrypoint({
      args: ['bash', '-c', 'echo hi'],
      env: {},
      distributionConfig: base,
      podIp: '127.0.0.2',
    });
    expect(plan.role).toBeUndefined();
    expect(plan.args).toEqual(['bash', '-c', 'echo hi']);
  });

  it('reads nested YAML and legacy lines in FLINK_PROPERTIES', () => {
    expect(parseFlinkProperties('state:\n  backend:\n    type: rocksdb\n')).toEqual({
      'state.backend.type': 'rocksdb',
    });
    expect(parseFlinkProperties('a.b: 1\nc: x y')).toEqual({ 'a.b': 1, c: 'x y' });
    expect(parseFlinkProperties(undefined)).toEqual({});
  });
});
