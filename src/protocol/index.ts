export * from './blocks.js';
export * from './cut-event.js';
export * from './events.js';
