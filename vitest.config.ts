import { configDefaults, defineConfig } from 'vitest/config';

// E2E files that cost too much for the default run (CI's `npm test`), each behind its own npm script
// that sets the variable that brings it back (docs/reliability.md publishes their results).
const OWN_SCRIPT_E2E = process.env.FLINKVISOR_E2E_DRAIN ? [] : ['test/e2e/jobmanager-drain.test.ts'];

// Three projects, run one after the other (sequence.groupOrder):
// - unit: pure and fast, no network beyond loopback mocks;
// - integration: one real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
//   shared by the project's files, each file in its own namespace;
// - e2e: real control plane and real Flink JVMs; files run one at a time, since a 2-core machine
//   runs few JVMs well.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/integration-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...OWN_SCRIPT_E2E],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
