import { defineConfig } from 'vitest/config';

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
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
