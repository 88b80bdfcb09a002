export * from './encoder.js';
export * from './types.js';
