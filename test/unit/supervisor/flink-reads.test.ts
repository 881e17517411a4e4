// How many Flink REST calls a supervisor's poll costs: the real client over undici's MockAgent,
// every request counted. At steady state one call a poll lists every job of the cluster; the slot
// count is read again only when the pods say it may have changed.
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/api/names.ts';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import { FlinkClusterReader, SLOTS_REFRESH_MS } from '../../../src/supervisor/flink-gateway.ts';
import { clusterPods, slotsExpectation } from '../../../src/supervisor/observer.ts';
import { OVERVIEW } from '../flink/fixtures.ts';
import { mockFlink, type MockFlink } from '../flink/mock-flink.ts';

const POLL_MS = 5000;
const JOBS = [
  { id: '0123456789abcdef0123456789abcdef', status: 'RUNNING' },
  { id: 'fedcba9876543210fedcba9876543210', status: 'RUNNING' },
];
const cluster = parseFlinkCluster({
  apiVersion: 'flinkvisor.io/v1',
  kind: 'FlinkCluster',
  metadata: { name: 'c', namespace: 'ns', uid: 'u' },
  spec: {
    runtime: { image: 'flink:1.20.3' },
    taskManager: { taskSlots: 2 },
    supervisor: { image: 'flinkvisor:0.1.0' },
  },
});

function pod(name: string, role: 'jobmanager' | 'taskmanager', ready = true, restarts = 0): V1Pod {
  return {
    metadata: { name, uid: `uid-${name}`, labels: { [LABELS.role]: role } },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'flink', restartCount: restarts } as never],
    },
  };
}

let flink: MockFlink | undefined;
afterEach(async () => {
  await flink?.agent.close();
  flink = undefined;
});

function overviewOf(jid: string | undefined) {
  return { jid, name: 'job', state: 'RUNNING', 'start-time': 1, 'end-time': -1, duration: 5 };
}

/** A Flink whose overview says `slots()` slots, and whose job list is JOBS. */
function answering(slots: () => number): MockFlink {
  const f = mockFlink();
  f.pool
    .intercept({ path: '/overview', method: 'GET' })
    .reply(200, () => ({ ...OVERVIEW, 'slots-total': slots() }))
    .persist();
  f.pool.intercept({ path: '/jobs', method: 'GET' }).reply(200, { jobs: JOBS }).persist();
  return f;
}

describe('the Flink reads of a supervisor poll', () => {
  it('costs one call for all the jobs of the cluster at steady state, the overview read once', async () => {
    flink = answering(() => 2);
    const reader = new FlinkClusterReader(() => 3000);
    const pods = clusterPods([pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager')]);
    const perPoll: number[] = [];
    for (let poll = 0; poll < 10; poll++) {
      const before = flink.events.length;
      const seen = await reader.observe(flink.client, slotsExpectation(pods, cluster, poll * POLL_MS));
      expect(seen).toEqual({
        reachable: true,
        slotsTotal: 2,
        jobs: JOBS.map((j) => ({ id: j.id, state: 'RUNNING' })),
      });
      perPoll.push(flink.events.length - before);
    }
    expect(perPoll).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const steady = perPoll.slice(1);
    expect(Math.max(...steady) / JOBS.length).toBeLessThanOrEqual(1);
    expect(flink.events.slice(2).every((e) => e.route === '/jobs')).toBe(true);
  });

  it('while an upgrade is verified: the job overview instead of the list, still one call, with task counts', async () => {
    flink = answering(() => 2);
    const [first, second] = JOBS;
    flink.pool
      .intercept({ path: '/jobs/overview', method: 'GET' })
      .reply(200, {
        jobs: [
          { ...overviewOf(first?.id), tasks: { total: 3, running: 3, finished: 0 } },
          { ...overviewOf(second?.id), tasks: { total: 3, running: 2, finished: 0, deploying: 1 } },
        ],
      })
      .persist();
    const reader = new FlinkClusterReader(() => 3000);
    const pods = clusterPods([pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager')]);
    await reader.observe(flink.client, slotsExpectation(pods, cluster, 0));
    const before = flink.events.length;
    const seen = await reader.observe(flink.client, {
      ...slotsExpectation(pods, cluster, POLL_MS),
      taskCounts: true,
    });
    expect(flink.events.slice(before).map((e) => e.route)).toEqual(['/jobs/overview']);
    expect(seen).toEqual({
      reachable: true,
      slotsTotal: 2,
      jobs: [
        { id: first?.id, state: 'RUNNING', tasksRunning: true },
        { id: second?.id, state: 'RUNNING', tasksRunning: false },
      ],
    });
  });

  it('reads the slots again when the pods change, until the Ready TaskManagers are all registered', async () => {
    let slots = 2;
    flink = answering(() => slots);
    const reader = new FlinkClusterReader(() => 3000);
    const overviews = () => flink?.events.filter((e) => e.route === '/overview').length ?? 0;
    const one = clusterPods([pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager')]);
    const two = clusterPods([
      pod('jm', 'jobmanager'),
      pod('tm-1', 'taskmanager'),
      pod('tm-2', 'taskmanager'),
    ]);
    await reader.observe(flink.client, slotsExpectation(one, cluster, 0));
    expect(overviews()).toBe(1);
    // A second TaskManager is Ready but not yet registered: the count is read on every poll.
    expect(await reader.observe(flink.client, slotsExpectation(two, cluster, POLL_MS))).toMatchObject({
      slotsTotal: 2,
    });
    await reader.observe(flink.client, slotsExpectation(two, cluster, 2 * POLL_MS));
    expect(overviews()).toBe(3);
    slots = 4;
    expect(await reader.observe(flink.client, slotsExpectation(two, cluster, 3 * POLL_MS))).toMatchObject({
      slotsTotal: 4,
    });
    await reader.observe(flink.client, slotsExpectation(two, cluster, 4 * POLL_MS));
    expect(overviews()).toBe(4);
    // A TaskManager container restarted (its slots re-register): read again.
    const restarted = clusterPods([
      pod('jm', 'jobmanager'),
      pod('tm-1', 'taskmanager', true, 1),
      pod('tm-2', 'taskmanager'),
    ]);
    await reader.observe(flink.client, slotsExpectation(restarted, cluster, 5 * POLL_MS));
    expect(overviews()).toBe(5);
    // Nothing changed for a minute: read again all the same.
    await reader.observe(flink.client, slotsExpectation(restarted, cluster, 5 * POLL_MS + SLOTS_REFRESH_MS));
    expect(overviews()).toBe(6);
  });

  it('asks nothing while no JobManager is Ready, and reads the slots again after Flink was unreachable', async () => {
    flink = answering(() => 2);
    const reader = new FlinkClusterReader(() => 3000);
    const unready = clusterPods([pod('jm', 'jobmanager', false), pod('tm-1', 'taskmanager')]);
    expect(await reader.observe(flink.client, slotsExpectation(unready, cluster, 0))).toEqual({
      reachable: false,
    });
    expect(flink.events).toHaveLength(0);
    const ready = clusterPods([pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager')]);
    await reader.observe(flink.client, slotsExpectation(ready, cluster, POLL_MS));
    expect(flink.events.map((e) => e.route).sort()).toEqual(['/jobs', '/overview']);
    const down = mockFlink();
    down.pool.intercept({ path: '/jobs', method: 'GET' }).reply(503, 'down').persist();
    down.pool.intercept({ path: '/overview', method: 'GET' }).reply(503, 'down').persist();
    expect(await reader.observe(down.client, slotsExpectation(ready, cluster, 2 * POLL_MS))).toEqual({
      reachable: false,
    });
    await down.agent.close();
    await reader.observe(flink.client, slotsExpectation(ready, cluster, 3 * POLL_MS));
    expect(flink.events.filter((e) => e.route === '/overview')).toHaveLength(2);
  });
});
