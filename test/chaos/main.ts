// Real-parts chaos (issue 17): the simulator's claims checked on the real control plane and real
// Flink. Two supervisor replicas lead one cluster in turn; for each step of a job's lifecycle the
// leading supervisor is killed (SIGKILL) the moment status.machine shows the step's state, and the
// run measures what the promise is about: the state it converges to, how many Flink jobs run (one or
// zero, as intended), how many savepoints each intent left (one), how long the takeover and the
// convergence took. Then the zombie case: the leader frozen (SIGSTOP) beyond its lease, thawed
// after a successor took over; it must not act again. Then the API server frozen and restarted
// during a STOP (api-server-faults.ts), and the supervisor cut off from Flink's REST API
// (partition.ts).
//
// Run: npm run chaos [-- --only stop,start,zombie,apiserver,apiserver-restart,apiserver-down,partition,partition-stop];
// prints a Markdown table (docs/reliability.md keeps it). The partition cases need root and iptables.
import { rm } from 'node:fs/promises';
import { startSupervisedEnvironment } from '../support/flinkvisor-e2e.ts';
import { FAULTS, SCENARIOS, runScenario, startChaosCluster } from './chaos-cases.ts';
import { LEASE_MS, failedOutcome, type Outcome } from './chaos-support.ts';

async function main(): Promise<void> {
  const only = process.argv.includes('--only')
    ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',')
    : null;
  const chosen = SCENARIOS.filter(
    (sc) => !only || only.some((o) => sc.name.toLowerCase().includes(o.toLowerCase())),
  );
  // Kept until every case held: a failing one leaves its logs (control plane, pods) for the evidence.
  const s = await startSupervisedEnvironment({ keepDir: true });
  const outcomes: Outcome[] = [];
  try {
    await startChaosCluster(s);
    for (const scenario of chosen) {
      process.stderr.write(`[chaos] ${scenario.name}\n`);
      outcomes.push(
        await runScenario(s, scenario).catch((err: unknown) =>
          failedOutcome(scenario.name, scenario.killIn, scenario.expectedRunning, err),
        ),
      );
    }
    for (const fault of FAULTS) {
      if (only && !only.includes(fault.key)) continue;
      process.stderr.write(`[chaos] ${fault.name}\n`);
      outcomes.push(
        await fault
          .run(s)
          .catch((err: unknown) => failedOutcome(fault.name, fault.state, fault.expectedRunning, err)),
      );
    }
  } finally {
    await s.stop();
    if (outcomes.length > 0 && outcomes.every((o) => o.ok))
      await rm(s.env.dir, { recursive: true, force: true });
    else process.stderr.write(`[chaos] kept ${s.env.dir} (logs of the control plane and the pods)\n`);
  }
  const rows = outcomes.map(
    (o) =>
      `| ${o.scenario} | ${o.killedIn} | ${o.converged} | ${o.flinkJobsRunning} (expected ${o.expectedRunning}) | ${o.savepoints} | ${o.takeoverMs === null ? '—' : `${(o.takeoverMs / 1000).toFixed(1)} s`} | ${(o.convergeMs / 1000).toFixed(1)} s | ${o.ok ? 'yes' : 'NO'}${o.note ? `: ${o.note}` : ''} |`,
  );
  const takeovers = outcomes
    .flatMap((o) => (o.takeoverMs === null ? [] : [o.takeoverMs]))
    .sort((a, b) => a - b);
  process.stdout.write(
    [
      '| scenario | leader killed in | converged to | Flink jobs running | savepoints | takeover | converged after | holds |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `takeovers: ${takeovers.length}, p50 ${((takeovers[Math.floor(takeovers.length / 2)] ?? 0) / 1000).toFixed(1)} s, max ${((takeovers.at(-1) ?? 0) / 1000).toFixed(1)} s (lease ${LEASE_MS / 1000} s)`,
      '',
    ].join('\n'),
  );
  process.exitCode = outcomes.every((o) => o.ok) ? 0 : 1;
}

await main();
