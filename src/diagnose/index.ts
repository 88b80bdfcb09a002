/**
 * Diagnostics: the public face of src/diagnose. `explain` names a failure from its error text,
 * `runDoctor` snapshots the environment a client runs in, `diffSnapshots` ranks what differs
 * between two snapshots. Re-exports only.
 */

export * from './analyze/analyze.js';
export {
  DIFF_SCHEMA,
  diffSnapshots,
  type SnapshotDiff,
  type SnapshotDifference,
} from './diff/diff.js';
export { renderDiff } from './diff/report.js';
export {
  DEFAULT_PROBE_MODEL,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_UPSTREAM,
  DoctorOptionError,
  type DoctorOptions,
  runDoctor,
} from './doctor/doctor.js';
export { type ChunkArrival, classifyArrivals, EventCounter } from './doctor/net.js';
export { renderDoctor } from './doctor/report.js';
export {
  DOCTOR_SCHEMA,
  type DoctorSnapshot,
  type DoctorWarning,
  type JsPackageReport,
  type PythonReport,
  parseDoctorSnapshot,
  type Severity,
  SnapshotError,
  type SseReport,
  type SseVerdict,
  type UpstreamReport,
} from './doctor/snapshot.js';
export {
  type ConfidenceLevel,
  type ExplainOptions,
  type ExplainResult,
  explain,
  MAX_EXPLAIN_CHARS,
  type SignatureMatch,
} from './explain/explain.js';
export { normaliseErrorText } from './explain/normalize.js';
export {
  EXPLAIN_SCHEMA,
  type ExplainJson,
  type ExplainMatchJson,
  explainToJson,
  renderExplain,
} from './explain/report.js';
export {
  CATEGORIES,
  type Category,
  RECOGNISED_AT,
  type Recovery,
  type Signature,
  type SignaturePattern,
} from './explain/signature.js';
export { getSignature, SIGNATURES } from './explain/signatures.js';
export { type Paint, PLAIN } from './render.js';
export * from './verify/verify.js';
