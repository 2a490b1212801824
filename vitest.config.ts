import { defineConfig } from 'vitest/config';

// Two projects: fast pure-logic tests beside the code, and tests against real services in tests/.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,edge-agent,broker,server,simulators}/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          // Real brokers, influxd and Chromium on a 2-core box: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
