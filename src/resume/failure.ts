/**
 * Failure classification: what went wrong with one attempt, and whether resuming can help.
 *
 * The kinds are listed in docs/resume.md. Anything not listed here as retryable passes through to
 * the caller unchanged (a 400 is the caller's bug, not a transport accident).
 */
import { RETRYABLE_STREAM_ERROR_TYPES } from '../protocol/index.js';

/** Why an attempt failed. */
export type FailureKind =
  /** The socket closed or reset during the body (httpx "incomplete chunked read", undici "terminated"). */
  | 'socket'
  /** The body ended cleanly but without `message_stop` (a truncating intermediary). */
  | 'eof'
  /** No byte arrived for the stall timeout. */
  | 'stall'
  /** An SSE `error` event of a retryable type (overloaded_error, api_error). */
  | 'error-event'
  /** A retryable HTTP status before the stream started (429, 500, 502, 503, 504, 529). */
  | 'http-status'
  /** The connection could not be made (ECONNREFUSED, DNS, TLS...). */
  | 'connect'
  /** The body was not an SSE stream or held an event we could not parse. */
  | 'protocol';

/** An attempt's failure: its kind and what to tell a person. */
export interface Failure {
  kind: FailureKind;
  /** One line, for people: what happened. Never contains secrets. */
  message: string;
  /** HTTP status, for `http-status`. */
  status?: number;
  /** The SSE error type, for `error-event` (e.g. `overloaded_error`). */
  errorType?: string;
  /** Delay the server asked for (retry-after / retry-after-ms), in ms. */
  retryAfterMs?: number;
  /** The underlying error, when there was one. */
  cause?: unknown;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 529]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableErrorType(type: string): boolean {
  return RETRYABLE_STREAM_ERROR_TYPES.has(type);
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The delay the server asked for, in ms: `retry-after-ms` first (Anthropic's precise header),
 * then `retry-after` as seconds or an HTTP date. `undefined` when absent or unparseable.
 */
export function retryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = header(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(ra);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies an error thrown while connecting (before any response). */
export function classifyConnectError(err: unknown): Failure {
  const code = errorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  return {
    kind: 'connect',
    message: `could not connect to the upstream${code ? ` (${code})` : ''}: ${detail}`,
    cause: err,
  };
}

/** Classifies an error thrown while reading the body of a started stream. */
export function classifyBodyError(err: unknown): Failure {
  const code = errorCode(err);
  if (code !== undefined && CONNECT_CODES.has(code)) return classifyConnectError(err);
  const detail = err instanceof Error ? err.message : String(err);
  return {
    kind: 'socket',
    message: `the connection closed during the stream${code ? ` (${code})` : ''}: ${detail}`,
    cause: err,
  };
}
