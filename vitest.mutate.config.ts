import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against mutants of the core (stryker.config.mjs): the unit, property
 * and engine tests of the core. Left out for time: the fault matrix (one test of several
 * minutes on a busy machine; the engine tests cover the same paths), the linear-work tests
 * (20 MB and 5 MB inputs: instrumented, they outrun the test timeout, and the work counter they
 * read is left out of the score anyway), and the proxy, mock, CLI, interop and diagnose suites
 * (their own modules are not mutated).
 *
 * MUTATE_TESTS narrows the run to test folders or files (comma-separated), for a quicker look
 * at one module: `MUTATE_TESTS=test/sse npm run mutate:module -- src/sse/decoder.ts`, or
 * `MUTATE_TESTS=test/resume/splice-edges.test.ts,test/resume/splicer-bytes.test.ts`.
 */
const dirs = process.env.MUTATE_TESTS?.split(',').filter((d) => d !== '') ?? [
  'test/sse',
  'test/message',
  'test/resume',
  'test/engine',
];
// Property runs per property in the SSE property tests (500 in `npm test`): every surviving
// mutant runs all of them, so fewer here keeps a module's run short; a mutant a property
// catches is almost always caught in its first runs.
process.env.PROPERTY_RUNS ??= '100';

export default defineConfig({
  test: {
    include: dirs.map((d) => (d.endsWith('.ts') ? d : `${d.replace(/\/$/, '')}/**/*.test.ts`)),
    exclude: [
      'test/resume/fault-matrix.test.ts',
      'test/sse/linear-work.test.ts',
      'test/message/linearity.test.ts',
    ],
    // A failing property stops at its first counterexample (no shrinking): see the file.
    setupFiles: ['test/helpers/mutate-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
