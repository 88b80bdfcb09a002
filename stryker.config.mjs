// @ts-check
// MUTATE_TAG names a run, so that several can run side by side (each its own sandbox, reports
// and incremental file): `MUTATE_TAG=sse npm run mutate:module -- 'src/sse/*.ts'`.
const tag = process.env.MUTATE_TAG ? `-${process.env.MUTATE_TAG.replace(/[^\w.-]/g, '_')}` : '';

/**
 * Mutation testing of the core (issue 16): `npm run mutate` (every core module) or one module,
 * `npm run mutate -- --mutate src/resume/policy.ts`. Not part of `npm test`. Reports go to
 * reports/mutation/ (git-ignored). Survivors judged equivalent are listed in docs/mutation.md
 * with the reason for each.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner', './stryker-ignorers.mjs'],
  // Mutants left out of the score, each with its reason: stryker-ignorers.mjs.
  ignorers: ['work-counter'],
  mutate: [
    'src/sse/**/*.ts',
    'src/message/**/*.ts',
    'src/resume/**/*.ts',
    'src/engine/**/*.ts',
    // Re-exports and type-only modules: nothing to mutate. The pure re-export index files are
    // named one by one: src/resume/seam/index.ts holds the seam's decision (decideSeam,
    // repeatsAtSeam) and is mutated.
    '!src/sse/index.ts',
    '!src/message/index.ts',
    '!src/resume/index.ts',
    '!src/engine/index.ts',
    '!src/sse/types.ts',
    '!src/engine/types.ts',
    // Vendored from @anthropic-ai/sdk (its partial-JSON parser), kept byte for byte so that a
    // repaired tool input equals the SDK's; test/message/sizes.test.ts holds it to the
    // installed SDK's parser on truncated JSON. Not our code to mutate.
    '!src/message/vendor/**',
  ],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  // A shared two-core machine: one or two test workers.
  concurrency: 2,
  // On top of twice the covering tests' own time: a mutant that loops is cut off soon.
  timeoutMS: 5_000,
  timeoutFactor: 2,
  // The first run of all the tests, with coverage per test, on a busy machine.
  dryRunTimeoutMinutes: 20,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation${tag}/index.html` },
  jsonReporter: { fileName: `reports/mutation${tag}/mutation.json` },
  // `--incremental` reruns only the mutants whose code or covering tests changed since the
  // last run with the same tag.
  incrementalFile: `reports/stryker-incremental${tag}.json`,
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  tempDirName: `.stryker-tmp${tag}`,
  // Runs side by side in one checkout must not copy each other's sandboxes or reports.
  ignorePatterns: ['/.stryker-tmp*', '/reports'],
  cleanTempDir: true,
  thresholds: { high: 85, low: 70, break: null },
};

export default config;
