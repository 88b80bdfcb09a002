/**
 * The package root: what an application needs to protect its streams, exported by name.
 *
 * Everything exported here is public API under semver (see the README's version policy), and
 * test/package/exports.test.ts pins the list so that adding or removing a name is a deliberate
 * change. Advanced parts have their own entry points: `anthropic-stream-resume/sse` (the SSE
 * decoder, framer and encoder) and `anthropic-stream-resume/mock` (the Anthropic-compatible mock
 * with fault injection). The rest of src/ is internal and may change in any release.
 *
 * @module anthropic-stream-resume
 */

// The engine: one request's attempts over any transport.
export type {
  EngineOptions,
  EngineResult,
  Send,
  SendRequest,
  StallMode,
  TraceSink,
  UpstreamResponse,
} from './engine/index.js';
export { runStream } from './engine/index.js';
// Every error lifeline throws on purpose extends LifelineError and has a \`type\` to switch on.
export { LifelineError } from './errors.js';
// The adapters: `@anthropic-ai/sdk` middleware and a fetch wrapper for any other client.
export type {
  FetchLike,
  LifelineFetchOptions,
  LifelineLogger,
  LifelineOptions,
  ReconnectOptions,
} from './integrations/index.js';
export { lifelineFetch, lifelineMiddleware } from './integrations/index.js';
// What the engine reports, and the error it raises when a stream cannot be recovered.
export type {
  AttemptRecord,
  ContinuationForm,
  DiscardedContent,
  Failure,
  FailureKind,
  MessageParamLike,
  MessageRequestBody,
  RecoveryReport,
  RetryPolicy,
  SeamRecord,
  SeamRemoval,
  SeamRule,
  SplicerOptions,
  Strategy,
} from './resume/index.js';
export {
  DEFAULT_RETRY_POLICY,
  ModelTable,
  StreamInterruptedError,
  summarize,
} from './resume/index.js';
export { VERSION } from './version.js';
