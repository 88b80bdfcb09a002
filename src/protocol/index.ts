export * from './blocks.js';
export * from './events.js';
