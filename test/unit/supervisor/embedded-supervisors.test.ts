// Fleet mode: the supervisors the operator hosts, one per FlinkCluster, each campaigning for its
// own cluster's Lease. The instances here are fakes that run the real leader-elected loop on an
// in-memory Lease per name, so what is asserted is the host's part: which supervisor runs, which
// Lease it holds, what a lost Lease and a stop do.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startLeaderElectedLoop, type LeaderElectedLoop } from '../../../src/kube/leader-elected-loop.ts';
import { ConflictError, type LeaseRecord, type LeaseStore } from '../../../src/kube/lease-store.ts';
import { createRegistry } from '../../../src/observability/metrics.ts';
import {
  EmbeddedSupervisors,
  EMBEDDED_LEASE,
  embeddedSupervisorSettings,
  RECAMPAIGN_DELAY_MS,
} from '../../../src/supervisor/embedded-supervisors.ts';
import {
  supervisorLeaseName,
  type SupervisorInstance,
  type SupervisorInstanceOptions,
} from '../../../src/supervisor/supervisor-instance.ts';
import type { Supervisor } from '../../../src/supervisor/supervisor.ts';
import { ManualClock, flush } from '../../support/manual-clock.ts';

class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  async get() {
    return this.record ? { record: this.record, resourceVersion: String(this.version) } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.record) throw new ConflictError('exists');
    this.record = record;
    return String(++this.version);
  }
  async update(record: LeaseRecord, rv: string) {
    if (rv !== String(this.version)) throw new ConflictError('stale');
    this.record = record;
    return String(++this.version);
  }
}

/** Never dialled: the fake instances do not watch. */
function unusedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'none', server: 'https://127.0.0.1:9', skipTLSVerify: false },
    { name: 'none' },
  );
  return kc;
}

interface FakeInstance {
  readonly options: SupervisorInstanceOptions;
  readonly events: string[];
  loop?: LeaderElectedLoop;
}

function fleet() {
  const clock = new ManualClock();
  const leases = new Map<string, MemoryLease>();
  const instances: FakeInstance[] = [];
  const lease = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    if (!leases.has(key)) leases.set(key, new MemoryLease());
    return leases.get(key) as MemoryLease;
  };
  const create = (options: SupervisorInstanceOptions): SupervisorInstance => {
    const fake: FakeInstance = { options, events: [] };
    instances.push(fake);
    const supervisor = { stop: () => fake.events.push('watches stopped') } as unknown as Supervisor;
    return {
      supervisor,
      loop: () => fake.loop,
      async campaign() {
        fake.loop = startLeaderElectedLoop({
          store: lease(options.namespace, supervisorLeaseName(options.clusterName)),
          identity: options.identity,
          clock: options.clock,
          log: options.log,
          leaderGauge: options.metrics.leader,
          ...(options.lease ? { lease: options.lease } : {}),
          lead: (signal) =>
            new Promise<void>((resolve) => {
              fake.events.push('leading');
              signal.addEventListener('abort', () => resolve(), { once: true });
            }),
          drain: async () => void fake.events.push('drained'),
        });
        return fake.loop;
      },
      async shutdown() {
        await fake.loop?.shutdown();
        fake.events.push('shut down');
      },
    };
  };
  const host = new EmbeddedSupervisors({
    kubeConfig: unusedKubeConfig(),
    identity: 'operator-0',
    log: pino({ level: 'silent' }),
    clock,
    registry: createRegistry('flinkvisor_operator', false),
    create,
  });
  /** The Lease of a cluster's supervisor, by the name a standalone supervisor uses too. */
  const leaseOf = (namespace: string, cluster: string) => lease(namespace, supervisorLeaseName(cluster));
  return { clock, host, instances, leaseOf };
}

let running: EmbeddedSupervisors | undefined;
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
});

describe('the supervisors the operator hosts (fleet mode)', () => {
  it('runs one supervisor per cluster, each holding its own Lease under the operator identity', async () => {
    const { host, instances, leaseOf } = fleet();
    running = host;
    host.ensure('ns-a', 'one');
    host.ensure('ns-a', 'two');
    host.ensure('ns-b', 'one');
    host.ensure('ns-a', 'one'); // already running: nothing new
    await flush();

    expect(host.clusters()).toEqual(['ns-a/one', 'ns-a/two', 'ns-b/one']);
    expect(instances.map((i) => `${i.options.namespace}/${i.options.clusterName}`)).toEqual([
      'ns-a/one',
      'ns-a/two',
      'ns-b/one',
    ]);
    for (const [ns, name] of [
      ['ns-a', 'one'],
      ['ns-a', 'two'],
      ['ns-b', 'one'],
    ] as const)
      expect(leaseOf(ns, name).record?.holderIdentity).toBe('operator-0');
    expect(instances.every((i) => i.events.includes('leading'))).toBe(true);
  });

  it('stops one supervisor cleanly (drain, then release its Lease) and leaves the others acting', async () => {
    const { host, instances, leaseOf } = fleet();
    running = host;
    host.ensure('ns', 'one');
    host.ensure('ns', 'two');
    await flush();

    await host.stop('ns', 'one');

    expect(instances[0]?.events).toEqual(['leading', 'drained', 'shut down']);
    expect(leaseOf('ns', 'one').record?.holderIdentity).toBe('');
    expect(leaseOf('ns', 'two').record?.holderIdentity).toBe('operator-0');
    expect(host.has('ns', 'one')).toBe(false);
    expect(instances[1]?.events).toEqual(['leading']);
  });

  it('a supervisor that loses its Lease stops, then campaigns again in a new instance; the operator goes on', async () => {
    const { clock, host, instances, leaseOf } = fleet();
    running = host;
    host.ensure('ns', 'one');
    host.ensure('ns', 'two');
    await flush();
    // Someone else holds the Lease of "one" now (another operator after a partition, say).
    const taken = leaseOf('ns', 'one');
    taken.record = {
      holderIdentity: 'operator-1',
      leaseDurationSeconds: 60,
      acquireTime: clock.now(),
      renewTime: clock.now(),
      leaseTransitions: 1,
    };
    taken.version++;

    // Hosted supervisors renew every 10 s and give up after 40 s (EMBEDDED_LEASE).
    expect(instances[0]?.options.lease).toEqual(EMBEDDED_LEASE);
    for (let i = 0; i < 50; i++) await clock.advance(1_000);

    expect(instances[0]?.events).toContain('shut down');
    expect(await instances[0]?.loop?.done).toBe('lost');
    await clock.advance(RECAMPAIGN_DELAY_MS);
    const again = instances.filter((i) => i.options.clusterName === 'one');
    expect(again).toHaveLength(2);
    // The new instance is a candidate: it does not act while operator-1's Lease holds.
    expect(again[1]?.events).toEqual([]);
    expect(taken.record?.holderIdentity).toBe('operator-1');
    // "two" was not touched.
    expect(instances[1]?.events).toEqual(['leading']);
    expect(leaseOf('ns', 'two').record?.holderIdentity).toBe('operator-0');
    // Once operator-1's Lease lapses, the new instance takes it and acts.
    for (let i = 0; i < 80; i++) await clock.advance(1_000);
    expect(again[1]?.events).toEqual(['leading']);
    expect(taken.record?.holderIdentity).toBe('operator-0');
  });

  it('on shutdown, every hosted supervisor drains and releases its Lease', async () => {
    const { host, instances, leaseOf } = fleet();
    host.ensure('ns', 'one');
    host.ensure('ns', 'two');
    await flush();
    await host.shutdown();
    expect(instances.map((i) => i.events)).toEqual([
      ['leading', 'drained', 'shut down'],
      ['leading', 'drained', 'shut down'],
    ]);
    expect([
      leaseOf('ns', 'one').record?.holderIdentity,
      leaseOf('ns', 'two').record?.holderIdentity,
    ]).toEqual(['', '']);
    expect(host.clusters()).toEqual([]);
  });

  it('labels each supervisor’s metrics with its cluster, in the operator’s registry', async () => {
    const registry = createRegistry('flinkvisor_operator', false);
    const host = new EmbeddedSupervisors({
      kubeConfig: unusedKubeConfig(),
      identity: 'operator-0',
      log: pino({ level: 'silent' }),
      clock: new ManualClock(),
      registry,
      create: (options) => {
        options.metrics.apiWrites.inc({ kind: 'status' });
        options.metrics.reconcileDuration.observe({ controller: 'supervisor' }, 0.01);
        options.metrics.leader.set(1);
        return {
          supervisor: { stop: () => undefined } as unknown as Supervisor,
          loop: () => undefined,
          campaign: async () => ({ done: new Promise(() => undefined) }) as unknown as LeaderElectedLoop,
          shutdown: async () => undefined,
        };
      },
    });
    host.ensure('ns', 'one');
    host.ensure('ns', 'two');
    const text = await registry.metrics();
    expect(text).toContain(
      'flinkvisor_supervisor_api_writes_total{kind="status",namespace="ns",cluster="one"} 1',
    );
    expect(text).toContain(
      'flinkvisor_supervisor_api_writes_total{kind="status",namespace="ns",cluster="two"} 1',
    );
    expect(text).toContain('flinkvisor_supervisor_leader{namespace="ns",cluster="one"} 1');
    // A stopped supervisor leaves no series behind (a deleted cluster is not reported forever).
    await host.stop('ns', 'one');
    const after = await registry.metrics();
    expect(after).not.toContain('cluster="one"');
    expect(after).toContain('cluster="two"');
    await host.shutdown();
  });
});

describe('the supervisor arguments an embedded supervisor honours', () => {
  it('reads --allow-private-networks and --polling-interval, in both spellings', () => {
    expect(embeddedSupervisorSettings(['--allow-private-networks', '--polling-interval=3'])).toEqual({
      allowPrivateNetworks: true,
      pollIntervalMs: 3000,
    });
    expect(embeddedSupervisorSettings(['--polling-interval', '2'])).toEqual({ pollIntervalMs: 2000 });
    expect(embeddedSupervisorSettings(['--flink-url=http://x:8081'])).toEqual({});
  });
});
