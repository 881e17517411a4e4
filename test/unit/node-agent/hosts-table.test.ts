import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseHostsFile, renderHostsFile, serviceAddresses } from '../../../src/node-agent/hosts-table.ts';

const svc = (namespace: string, name: string, selector?: Record<string, string>): V1Service => ({
  metadata: { namespace, name },
  spec: selector ? { selector } : {},
});
const pod = (
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string>,
  ready = true,
): V1Pod => ({
  metadata: { namespace, name, labels },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('service addresses', () => {
  it('resolves a selector Service to its ready pods, lowest address first', () => {
    const out = serviceAddresses(
      [svc('a', 'jm', { app: 'jm' })],
      [],
      [
        pod('a', 'p2', '127.0.0.12', { app: 'jm' }),
        pod('a', 'p1', '127.0.0.11', { app: 'jm' }),
        pod('b', 'x', '127.0.0.9', { app: 'jm' }),
      ],
    );
    expect(out).toEqual([{ namespace: 'a', name: 'jm', ip: '127.0.0.11' }]);
  });

  it('ignores pods that are not ready, terminating, or labelled differently', () => {
    const terminating = pod('a', 't', '127.0.0.5', { app: 'jm' });
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: new Date() };
    const out = serviceAddresses(
      [svc('a', 'jm', { app: 'jm' })],
      [],
      [
        pod('a', 'n', '127.0.0.4', { app: 'jm' }, false),
        terminating,
        pod('a', 'o', '127.0.0.3', { app: 'other' }),
      ],
    );
    expect(out).toEqual([]);
  });

  it('uses EndpointSlices for a Service without selector', () => {
    const slice: V1EndpointSlice = {
      metadata: { namespace: 'a', name: 'ext-1', labels: { 'kubernetes.io/service-name': 'ext' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.1.2.3'], conditions: { ready: true } },
        { addresses: ['10.1.2.4'], conditions: { ready: false } },
      ],
    };
    expect(serviceAddresses([svc('a', 'ext')], [slice], [])).toEqual([
      { namespace: 'a', name: 'ext', ip: '10.1.2.3' },
    ]);
  });
});

describe('hosts files', () => {
  const services = [
    { namespace: 'a', name: 'jm', ip: '127.0.0.11' },
    { namespace: 'b', name: 'jm', ip: '127.0.0.12' },
  ];

  it('gives bare names only for the own namespace and qualified names for all', () => {
    const table = parseHostsFile(
      renderHostsFile('a', services, { selfAddress: '127.0.0.30', localNames: ['host1', 'pod-a'] }),
    );
    expect(table.get('jm')).toBe('127.0.0.11');
    expect(table.get('jm.b')).toBe('127.0.0.12');
    expect(table.get('jm.b.svc')).toBe('127.0.0.12');
    expect(table.get('jm.a.svc.cluster.local')).toBe('127.0.0.11');
    // Inside a pod, localhost and its own names are the pod's address.
    expect(table.get('host1')).toBe('127.0.0.30');
    expect(table.get('pod-a')).toBe('127.0.0.30');
    expect(table.get('localhost')).toBe('127.0.0.30');
    const other = parseHostsFile(
      renderHostsFile('b', services, { selfAddress: '127.0.0.31', localNames: [] }),
    );
    expect(other.get('jm')).toBe('127.0.0.12');
  });

  it('parses comments, blank lines and the first entry wins', () => {
    const table = parseHostsFile('# c\n\n10.0.0.1 A b # x\n10.0.0.2 a\n');
    expect(table.get('a')).toBe('10.0.0.1');
    expect(table.get('b')).toBe('10.0.0.1');
  });
});
