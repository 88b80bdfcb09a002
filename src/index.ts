/**
 * lifeline: the public face of the package. Re-exports only; each part lives in src/<part>/.
 * The mock (`lifeline/mock`) and the SSE codec (`lifeline/sse`) also have subpath exports.
 */
export * from './engine/index.js';
export * from './integrations/index.js';
export * from './message/index.js';
export * from './protocol/index.js';
export * from './resume/index.js';
export * from './sse/index.js';
export { VERSION } from './version.js';
