export { DEFAULT_MAX_EVENT_SIZE, SseDecoder, type SseDecoderOptions } from './decoder.js';
export * from './encoder.js';
export { SseError, type SseErrorOptions, type SseErrorType } from './errors.js';
export { type SseFrame, SseFramer, type SseFramerOptions } from './framer.js';
export * from './types.js';
