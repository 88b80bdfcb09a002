export * from './fetch.js';
export * from './middleware.js';
export type { LifelineLogger, LifelineOptions } from './protect.js';
export type { ReconnectOptions } from './reconnect.js';
