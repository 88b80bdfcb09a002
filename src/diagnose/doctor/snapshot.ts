/**
 * The doctor snapshot (`lifeline doctor --json`, schema `lifeline.doctor/1`): what `doctor`
 * found about the environment a client runs in, in a form `diff` can compare across hosts.
 *
 * Secrets never enter a snapshot: key-like variables are recorded only as 'set' / 'not set',
 * and URLs have their user-info and query strings redacted before they are stored.
 */

import { LifelineError } from '../../errors.js';

export const DOCTOR_SCHEMA = 'lifeline.doctor/1';

export type Severity = 'error' | 'warn' | 'info';

export interface DoctorWarning {
  /** Stable id, e.g. `sse-buffered`; `lifeline explain` knows the important ones. */
  readonly id: string;
  readonly severity: Severity;
  /** What was found, why it matters, what to do. */
  readonly message: string;
}

export interface PythonReport {
  /** The command run, e.g. `/usr/bin/python3` or `python3` (looked up on PATH). */
  readonly command: string;
  readonly found: boolean;
  readonly version: string | null;
  /** sys.executable: tells whether two commands are the same interpreter. */
  readonly executable: string | null;
  /** Installed versions of anthropic, httpx, httpcore (null: not installed). */
  readonly packages: Readonly<Record<string, string | null>>;
  readonly error: string | null;
}

export interface JsPackageReport {
  readonly name: string;
  readonly version: string | null;
  /** Directory the package resolved from (null: not found from the working directory). */
  readonly path: string | null;
}

export interface EnvironmentReport {
  /** Relevant non-secret variables (base URL, proxies, timeouts, NODE_OPTIONS, CA settings), redacted. */
  readonly values: Readonly<Record<string, string>>;
  /** Secret variables: only whether they are set. */
  readonly secrets: Readonly<Record<string, 'set' | 'not set'>>;
}

export interface UpstreamReport {
  /** Base URL probed (redacted). */
  readonly url: string;
  readonly source: 'flag' | 'ANTHROPIC_BASE_URL' | 'default';
  /** The URL requested: GET <base>/v1/models. */
  readonly probeUrl: string;
  readonly via: 'direct' | 'proxy';
  /** Redacted proxy URL when via is 'proxy'. */
  readonly proxy: string | null;
  /** Whether credentials were sent with the probe, and if not, why. */
  readonly auth: 'sent' | 'not sent: no key set' | 'not sent: plain http to a remote host';
  readonly reachable: boolean;
  readonly status: number | null;
  readonly headersMs: number | null;
  readonly totalMs: number | null;
  readonly server: string | null;
  /** Intermediaries recognised from response headers (cloudflare, nginx, aws-elb, envoy, ...). */
  readonly intermediaries: readonly string[];
  readonly error: string | null;
  /** The `explain` signature the error matched, if any. */
  readonly errorSignature: string | null;
}

export type SseVerdict = 'streaming' | 'buffered' | 'inconclusive' | 'failed' | 'skipped';

export interface SseReport {
  readonly verdict: SseVerdict;
  readonly url: string | null;
  readonly method: 'GET' | 'POST' | null;
  readonly status: number | null;
  readonly contentType: string | null;
  readonly chunks: number;
  readonly events: number;
  readonly bytes: number;
  /** Milliseconds from the start of the request. */
  readonly headersMs: number | null;
  readonly firstEventMs: number | null;
  readonly lastEventMs: number | null;
  /** Share (0..1) of the events that arrived in the largest burst of chunks. */
  readonly largestBurstShare: number | null;
  /** One sentence on how the verdict was reached. */
  readonly reason: string;
}

export interface DoctorSnapshot {
  readonly schema: typeof DOCTOR_SCHEMA;
  readonly createdAt: string;
  readonly lifeline: string;
  readonly host: { readonly platform: string; readonly arch: string };
  readonly node: {
    readonly version: string;
    readonly major: number;
    readonly undici: string | null;
  };
  readonly python: readonly PythonReport[];
  readonly js: { readonly cwd: string; readonly packages: readonly JsPackageReport[] };
  readonly env: EnvironmentReport;
  readonly upstream: UpstreamReport;
  readonly sse: SseReport;
  readonly warnings: readonly DoctorWarning[];
}

/** A file that is not a doctor snapshot, or not one this version understands. */
export class SnapshotError extends LifelineError {
  readonly type = 'snapshot' as const;
  override readonly name = 'SnapshotError';
}

/**
 * Checks that `value` (parsed JSON) is a doctor snapshot of this schema, and returns it typed.
 * Only the structure `diff` relies on is checked; unknown extra fields are allowed so later
 * minor additions stay readable.
 */
export function parseDoctorSnapshot(value: unknown, label = 'input'): DoctorSnapshot {
  if (!isRecord(value)) throw new SnapshotError(`${label} is not a JSON object`);
  if (value.schema !== DOCTOR_SCHEMA) {
    const found = typeof value.schema === 'string' ? `schema "${value.schema}"` : 'no schema field';
    throw new SnapshotError(
      `${label} is not a lifeline doctor snapshot (${found}, expected "${DOCTOR_SCHEMA}"); create one with \`lifeline doctor --json > file.json\``,
    );
  }
  const required: Array<[string, (v: unknown) => boolean]> = [
    ['createdAt', (v) => typeof v === 'string'],
    ['node', (v) => isRecord(v) && typeof v.version === 'string' && typeof v.major === 'number'],
    ['python', Array.isArray],
    ['js', (v) => isRecord(v) && Array.isArray(v.packages)],
    ['env', (v) => isRecord(v) && isRecord(v.values) && isRecord(v.secrets)],
    [
      'upstream',
      (v) => isRecord(v) && typeof v.url === 'string' && typeof v.reachable === 'boolean',
    ],
    ['sse', (v) => isRecord(v) && typeof v.verdict === 'string'],
    ['warnings', Array.isArray],
  ];
  for (const [field, ok] of required) {
    if (!ok(value[field])) {
      throw new SnapshotError(
        `${label} is a damaged doctor snapshot: field "${field}" is missing or malformed`,
      );
    }
  }
  return value as unknown as DoctorSnapshot;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
