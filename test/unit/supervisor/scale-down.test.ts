import { describe, expect, it } from 'vitest';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { systemClock, type Clock } from '../../../src/kube/clock.ts';
import { idleTaskManagerHosts } from '../../../src/supervisor/machine-effects.ts';
import { taskManagerHost } from '../../../src/supervisor/flink-gateway.ts';

type Tm = { id: string; slotsNumber: number; freeSlots: number };
const tm = (ip: string, port: number, free: number, slots = 2): Tm => ({
  id: `${ip}:${port}-abc123`,
  slotsNumber: slots,
  freeSlots: free,
});

/** A Flink whose answers change from one look to the next. */
function flink(looks: { tms: Tm[]; jobs?: { id: string; status: string }[] }[]): FlinkRestClient {
  let call = 0;
  return {
    listTaskManagers: async () => looks[Math.min(call++, looks.length - 1)]?.tms ?? [],
    listJobs: async () => looks[Math.min(Math.max(call - 1, 0), looks.length - 1)]?.jobs ?? [],
  } as unknown as FlinkRestClient;
}

const instant: Clock = { ...systemClock, sleep: async () => undefined };
const signal = new AbortController().signal;

describe('which TaskManagers a scale-down may remove', () => {
  it('reads the pod address from the TaskManager id or its RPC path', () => {
    expect(taskManagerHost({ id: '127.0.0.15:33107-a0e2d7' })).toBe('127.0.0.15');
    expect(
      taskManagerHost({ id: 'tm-1', path: 'pekko.tcp://flink@10.1.2.3:6122/user/rpc/taskmanager_0' }),
    ).toBe('10.1.2.3');
    expect(taskManagerHost({ id: 'tm-1' })).toBeUndefined();
  });

  it('reads IPv6 TaskManager hosts, bracketed or not, as Kubernetes spells pod IPs', () => {
    expect(taskManagerHost({ id: '2001:db8:0:0:0:0:0:7:33107-a0e2d7' })).toBe('2001:db8::7');
    expect(taskManagerHost({ id: '[fd00::1:2]:6122-0f1e2d' })).toBe('fd00::1:2');
    expect(
      taskManagerHost({ id: 'tm-1', path: 'pekko.tcp://flink@[2001:DB8::a]:6122/user/rpc/taskmanager_0' }),
    ).toBe('2001:db8::a');
    expect(taskManagerHost({ id: '::ffff:10.1.2.3:6122-abcdef' })).toBe('10.1.2.3');
    expect(taskManagerHost({ id: 'not:an:address:6122-abcdef' })).toBeUndefined();
    expect(taskManagerHost({ id: '2001:6122-abcdef' })).toBeUndefined();
  });

  it('takes only those idle in both looks', async () => {
    const hosts = await idleTaskManagerHosts(
      flink([
        { tms: [tm('127.0.0.11', 1, 2), tm('127.0.0.12', 1, 2)] },
        { tms: [tm('127.0.0.11', 1, 2), tm('127.0.0.12', 1, 1)] },
      ]),
      instant,
      signal,
    );
    expect([...hosts]).toEqual(['127.0.0.11']);
  });

  it('never takes an address that also has a busy TaskManager (a lost one still listed, its address reused)', async () => {
    const looks = [{ tms: [tm('127.0.0.15', 1, 2), tm('127.0.0.15', 2, 1), tm('127.0.0.16', 1, 2)] }];
    expect([...(await idleTaskManagerHosts(flink(looks), instant, signal))]).toEqual(['127.0.0.16']);
  });

  it('takes nothing while a job is being scheduled (its slots may not show as taken yet)', async () => {
    const looks = [{ tms: [tm('127.0.0.11', 1, 2)], jobs: [{ id: 'j', status: 'INITIALIZING' }] }];
    expect((await idleTaskManagerHosts(flink(looks), instant, signal)).size).toBe(0);
  });
});
