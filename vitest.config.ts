import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    // CI runs the suite with CI=true; ink (is-in-ci) then stops drawing frames as a terminal does.
    // The terminal-report tests are about the terminal, so they run as in one.
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
  },
});
