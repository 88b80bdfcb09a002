/**
 * `anthropic-stream-resume/mock`: the mock upstream as a library, for tests of code that streams
 * from the Anthropic API. Start it with `startMock({ scenarios })`, load scenario files or use the
 * built-in ones, and inject faults per attempt (the `x-mock-faults` header or the scenario's
 * `faults`). Public API under semver, pinned by test/package/exports.test.ts; src/mock/index.ts
 * is the part's face inside the package and exports more.
 *
 * @module anthropic-stream-resume/mock
 */
export {
  builtinScenarioFiles,
  builtinScenarios,
  SEED_SCENARIO_NAME,
} from './builtin/index.js';
export type { ContinuationRules } from './continuation.js';
export {
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  type FaultMap,
  faultMapSchema,
  faultSchema,
} from './faults.js';
export {
  loadScenarioFile,
  loadScenarios,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioFile,
} from './scenario.js';
export {
  type MockRequestRecord,
  type MockServer,
  type MockServerOptions,
  startMock,
} from './server.js';
export { shippedScenarios } from './shipped.js';
