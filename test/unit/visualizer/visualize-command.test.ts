import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkVisualizer,
  findLeadingSupervisor,
  isLoopbackAddress,
  NoLeadingSupervisorError,
  visualizerUrl,
} from '../../../src/cli/commands/visualize.ts';
import type { SupervisorLookup } from '../../../src/cli/commands/visualize.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { podNameOfIdentity, processIdentity } from '../../../src/kube/holder-identity.ts';
import type { LeaseRecord } from '../../../src/kube/lease-store.ts';

const NOW = 1_700_000_000_000;
const where = { namespace: 'flink', cluster: 'demo' };

function lease(overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    holderIdentity: 'supervisor-demo-abc',
    leaseDurationSeconds: 15,
    acquireTime: NOW - 60_000,
    renewTime: NOW - 2_000,
    leaseTransitions: 0,
    ...overrides,
  };
}

function lookup(record: LeaseRecord | undefined, pods: Record<string, V1Pod> = {}): SupervisorLookup {
  return { lease: async () => record, pod: async (name) => pods[name] };
}

const runningPod: V1Pod = {
  metadata: { name: 'supervisor-demo-abc' },
  status: { phase: 'Running', podIP: '127.0.0.9' },
};

describe('findLeadingSupervisor', () => {
  it('finds the pod holding the Lease', async () => {
    const leader = await findLeadingSupervisor(
      lookup(lease(), { 'supervisor-demo-abc': runningPod }),
      where,
      NOW,
    );
    expect(leader).toEqual({ pod: 'supervisor-demo-abc', podIP: '127.0.0.9' });
  });

  it("finds the pod from a holder identity with the process's suffix (pod_uuid)", async () => {
    const leader = await findLeadingSupervisor(
      lookup(lease({ holderIdentity: processIdentity('supervisor-demo-abc') }), {
        'supervisor-demo-abc': runningPod,
      }),
      where,
      NOW,
    );
    expect(leader).toEqual({ pod: 'supervisor-demo-abc', podIP: '127.0.0.9' });
    expect(podNameOfIdentity('supervisor-demo-abc_d0a03fd4')).toBe('supervisor-demo-abc');
  });

  it('says why there is nobody to connect to', async () => {
    const cases: [SupervisorLookup, RegExp][] = [
      [lookup(undefined), /no Lease flink\/flinkvisor-supervisor-demo: is FlinkCluster demo supervised/],
      [lookup(lease({ holderIdentity: '' })), /has no holder/],
      [lookup(lease({ renewTime: NOW - 20_000 })), /expired at .* \(holder supervisor-demo-abc\)/],
      [lookup(lease()), /"supervisor-demo-abc" is not a pod in namespace flink/],
      [
        lookup(lease(), { 'supervisor-demo-abc': { ...runningPod, status: { phase: 'Pending' } } }),
        /supervisor pod supervisor-demo-abc is Pending/,
      ],
    ];
    for (const [source, message] of cases) {
      await expect(findLeadingSupervisor(source, where, NOW)).rejects.toThrow(message);
      await expect(findLeadingSupervisor(source, where, NOW)).rejects.toBeInstanceOf(
        NoLeadingSupervisorError,
      );
    }
  });
});

describe('addresses', () => {
  it('tells loopback pod addresses (reached directly) from the others (port-forwarded)', () => {
    for (const ip of ['127.0.0.1', '127.0.0.42', '::1', '::ffff:127.0.0.3'])
      expect(isLoopbackAddress(ip), ip).toBe(true);
    for (const ip of ['10.244.0.7', '192.168.1.2', 'fd00::1', undefined, '1270.0.0.1']) {
      expect(isLoopbackAddress(ip), String(ip)).toBe(false);
    }
  });

  it('builds the page URL', () => {
    expect(visualizerUrl('127.0.0.9', 8090)).toBe('http://127.0.0.9:8090/debug/');
    expect(visualizerUrl('::1', 8090)).toBe('http://[::1]:8090/debug/');
  });
});

describe('checkVisualizer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('passes when the JSON answers and explains when nothing does', async () => {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/debug/machines' ? 200 : 404).end('{}');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await expect(checkVisualizer(visualizerUrl('127.0.0.1', port))).resolves.toBeUndefined();
    expect(paths).toEqual(['/debug/machines']);
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await expect(checkVisualizer(visualizerUrl('127.0.0.1', port), 2000)).rejects.toThrow(
      /does the supervisor run with --debug-port/,
    );
  });
});

describe('flinkvisor visualize', () => {
  it('is a command with the documented options', () => {
    const program = buildProgram({ env: {}, stdout: process.stdout, stderr: process.stderr });
    const visualize = program.commands.find((command) => command.name() === 'visualize');
    expect(visualize?.options.map((option) => option.long)).toEqual([
      '--namespace',
      '--kubeconfig',
      '--port',
      '--local-port',
      '--open',
    ]);
  });

  it('refuses a port that is not one', async () => {
    const program = buildProgram({ env: {}, stdout: process.stdout, stderr: process.stderr });
    await expect(
      program.parseAsync(['node', 'flinkvisor', 'visualize', 'demo', '--port', 'http']),
    ).rejects.toThrow(/--port must be a port number/);
  });
});
