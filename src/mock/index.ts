/**
 * The mock upstream: an Anthropic-compatible server for tests, benchmarks and demos, with
 * scenarios, continuation rules and fault injection at the socket.
 */
export * from './api.js';
export {
  builtinScenarioFiles,
  builtinScenarios,
  SEED_COMPLETE_BLOCKS,
  SEED_PARTIAL_JSON_BYTES,
  SEED_SCENARIO_NAME,
} from './builtin/index.js';
export * from './continuation.js';
export * from './faults.js';
export * from './render.js';
export * from './scenario.js';
export * from './server.js';
export * from './shipped.js';
export { DEFAULT_NEXT_TURN_TEXT, isSideRequest, sideAnswerText } from './side.js';
export {
  encodeErrorEvent,
  type FramedStream,
  frameChunk,
  frameStream,
  type StreamPlan,
  type WireProgress,
  writeStream,
} from './wire.js';
