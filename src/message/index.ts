export * from './accumulator.js';
export * from './parse-event.js';
export * from './sizes.js';
export type { DeltaRejection, OpenBlock } from './streaming-block.js';
export * from './tool-input.js';
