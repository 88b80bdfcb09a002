import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against mutants of the core (stryker.config.mjs): the unit, property
 * and engine tests of the core. Left out for time: the fault matrix (one test of several
 * minutes on a busy machine; the engine tests cover the same paths), and the proxy, mock, CLI,
 * interop and diagnose suites (their own modules are not mutated).
 */
export default defineConfig({
  test: {
    include: [
      'test/sse/**/*.test.ts',
      'test/message/**/*.test.ts',
      'test/resume/**/*.test.ts',
      'test/engine/**/*.test.ts',
    ],
    exclude: ['test/resume/fault-matrix.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
