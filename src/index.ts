/**
 * lifeline: the public face of the package. Re-exports only; each part lives in src/<part>/.
 */
export * from './protocol/index.js';
export * from './sse/index.js';
export { VERSION } from './version.js';
