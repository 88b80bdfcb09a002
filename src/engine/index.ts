export * from './engine.js';
export * from './trace.js';
