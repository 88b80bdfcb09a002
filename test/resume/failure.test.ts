/**
 * Failure classification on its own: the delay a server asks for, and which errors mean the
 * connection could not be made versus the stream being cut.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyBodyError,
  classifyConnectError,
  isRetryableErrorType,
  isRetryableStatus,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from '../../src/resume/failure.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const h = (init: Record<string, string>) => new Headers(init);

describe('retryAfterMs', () => {
  it('reads retry-after-ms as milliseconds', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '1500' }), NOW)).toBe(1_500);
    expect(retryAfterMs(h({ 'retry-after-ms': '0' }), NOW)).toBe(0);
    expect(retryAfterMs(h({ 'retry-after-ms': '12.5' }), NOW)).toBe(12.5);
  });

  it('prefers retry-after-ms over retry-after', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '10' }), NOW)).toBe(250);
  });

  it('falls back to retry-after when retry-after-ms is blank, negative or not a number', () => {
    for (const bad of ['', '   ', '-5', 'soon', 'Infinity']) {
      expect(retryAfterMs(h({ 'retry-after-ms': bad, 'retry-after': '2' }), NOW)).toBe(2_000);
      expect(retryAfterMs(h({ 'retry-after-ms': bad }), NOW)).toBeUndefined();
    }
  });

  it('reads retry-after as seconds', () => {
    expect(retryAfterMs(h({ 'retry-after': '3' }), NOW)).toBe(3_000);
    expect(retryAfterMs(h({ 'retry-after': '0' }), NOW)).toBe(0);
    expect(retryAfterMs(h({ 'retry-after': '1.5' }), NOW)).toBe(1_500);
  });

  it('reads retry-after as an HTTP date, relative to now', () => {
    const later = new Date(NOW + 30_000).toUTCString();
    expect(retryAfterMs(h({ 'retry-after': later }), NOW)).toBe(30_000);
    expect(retryAfterMs(h({ 'retry-after': later }), NOW + 10_000)).toBe(20_000);
  });

  it('takes a date already past as no wait at all', () => {
    const earlier = new Date(NOW - 60_000).toUTCString();
    expect(retryAfterMs(h({ 'retry-after': earlier }), NOW)).toBe(0);
  });

  it('uses the current time when none is given', () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    const ms = retryAfterMs(h({ 'retry-after': inAnHour }));
    // toUTCString drops the milliseconds: within a second (and a slow machine's margin) of 1 h.
    expect(ms).toBeGreaterThan(3_500_000);
    expect(ms).toBeLessThanOrEqual(3_600_000);
  });

  it('is undefined when absent, blank or garbage', () => {
    expect(retryAfterMs(h({}), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': '' }), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': '  ' }), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });

  it('reads a plain header record as well as Headers, taking the first of repeated values', () => {
    expect(retryAfterMs({ 'retry-after-ms': '40' }, NOW)).toBe(40);
    expect(retryAfterMs({ 'retry-after': ['2', '9'] }, NOW)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after-ms': undefined, 'retry-after': '1' }, NOW)).toBe(1_000);
    expect(retryAfterMs({}, NOW)).toBeUndefined();
  });

  it('treats a blank value in a plain record (not trimmed as Headers does) as absent', () => {
    expect(retryAfterMs({ 'retry-after-ms': '  ', 'retry-after': '2' }, NOW)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': ' \t ' }, NOW)).toBeUndefined();
  });

  it('never asks for an infinite or negative wait', () => {
    expect(retryAfterMs(h({ 'retry-after': 'Infinity' }), NOW)).toBeUndefined();
    const negative = retryAfterMs(h({ 'retry-after': '-5' }), NOW);
    expect(negative === undefined || negative >= 0).toBe(true);
  });
});

describe('classifyConnectError and classifyBodyError', () => {
  const withCode = (code: string, message = `connect ${code} 10.0.0.1:443`) =>
    Object.assign(new Error(message), { code });

  const connectCodes = [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_CONNECT_TIMEOUT',
    'CERT_HAS_EXPIRED',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  ];

  it.each(connectCodes)('classifies a body error with code %s as a connect failure', (code) => {
    const err = withCode(code);
    const failure = classifyBodyError(err);
    expect(failure.kind).toBe('connect');
    expect(failure.message).toBe(
      `could not connect to the upstream (${code}): connect ${code} 10.0.0.1:443`,
    );
    expect(failure.cause).toBe(err);
  });

  it.each(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT'])(
    'classifies a body error with code %s as a socket failure',
    (code) => {
      const err = withCode(code, 'other side closed');
      const failure = classifyBodyError(err);
      expect(failure).toEqual({
        kind: 'socket',
        message: `the connection closed during the stream (${code}): other side closed`,
        cause: err,
      });
    },
  );

  it('finds the code on a cause, as undici reports it ("fetch failed" / "terminated")', () => {
    const refused = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(classifyBodyError(refused).kind).toBe('connect');
    expect(classifyBodyError(refused).message).toBe(
      'could not connect to the upstream (ECONNREFUSED): fetch failed',
    );
    const reset = new TypeError('terminated', { cause: withCode('ECONNRESET') });
    expect(classifyBodyError(reset).message).toBe(
      'the connection closed during the stream (ECONNRESET): terminated',
    );
  });

  it('takes the outermost code of a chain', () => {
    const err = Object.assign(new Error('outer'), {
      code: 'ECONNRESET',
      cause: withCode('ECONNREFUSED'),
    });
    expect(classifyBodyError(err).kind).toBe('socket');
  });

  it('follows a chain of causes five deep, no deeper', () => {
    const nest = (depth: number): unknown => {
      let e: unknown = withCode('ENOTFOUND');
      for (let i = 0; i < depth; i++) e = new Error(`level ${i}`, { cause: e });
      return e;
    };
    expect(classifyBodyError(nest(4)).kind).toBe('connect');
    expect(classifyBodyError(nest(5)).kind).toBe('socket');
    expect(classifyBodyError(nest(5)).message).toBe(
      'the connection closed during the stream: level 4',
    );
  });

  it('ignores a code that is not a string', () => {
    const err = Object.assign(new Error('odd'), { code: 111, cause: withCode('EAI_AGAIN') });
    expect(classifyBodyError(err).kind).toBe('connect');
  });

  it('classifies an error without a code as a socket failure, with no code in the message', () => {
    expect(classifyBodyError(new Error('terminated'))).toMatchObject({
      kind: 'socket',
      message: 'the connection closed during the stream: terminated',
    });
    expect(classifyBodyError('boom').message).toBe('the connection closed during the stream: boom');
    expect(classifyBodyError(null).message).toBe('the connection closed during the stream: null');
  });

  it('classifies every error before a response as a connect failure', () => {
    expect(classifyConnectError(withCode('ECONNRESET', 'reset'))).toMatchObject({
      kind: 'connect',
      message: 'could not connect to the upstream (ECONNRESET): reset',
    });
    const failure = classifyConnectError('no route');
    expect(failure).toEqual({
      kind: 'connect',
      message: 'could not connect to the upstream: no route',
      cause: 'no route',
    });
    expect(classifyConnectError(undefined).message).toBe(
      'could not connect to the upstream: undefined',
    );
  });
});

describe('retryable statuses and error types', () => {
  it('retries timeouts, rate limits, overload and server errors', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 529]) {
      expect(isRetryableStatus(status)).toBe(true);
    }
    expect([...RETRYABLE_STATUSES].sort()).toEqual([408, 429, 500, 502, 503, 504, 529]);
  });

  it("passes the caller's own errors through", () => {
    for (const status of [200, 400, 401, 403, 404, 413, 422, 501]) {
      expect(isRetryableStatus(status)).toBe(false);
    }
  });

  it('retries overloaded and api errors in the stream, not request errors', () => {
    expect(isRetryableErrorType('overloaded_error')).toBe(true);
    expect(isRetryableErrorType('api_error')).toBe(true);
    expect(isRetryableErrorType('invalid_request_error')).toBe(false);
    expect(isRetryableErrorType('authentication_error')).toBe(false);
  });
});
