/**
 * `anthropic-stream-resume/sse`: the Server-Sent Events codec lifeline is built on, for code
 * that reads or writes SSE itself. `SseDecoder` turns bytes into events (the WHATWG parsing
 * rules, with a bound on event size); `SseFramer` splits bytes into whole events without
 * decoding them; the encoders write events and comments. Public API under semver, pinned by
 * test/package/exports.test.ts.
 *
 * @module anthropic-stream-resume/sse
 */
export { DEFAULT_MAX_EVENT_SIZE, SseDecoder, type SseDecoderOptions } from './decoder.js';
export * from './encoder.js';
export { SseError, type SseErrorOptions, type SseErrorType } from './errors.js';
export { type SseFrame, SseFramer, type SseFramerOptions } from './framer.js';
export * from './types.js';
