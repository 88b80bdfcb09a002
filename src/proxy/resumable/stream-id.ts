/**
 * Stream ids, event ids and the credential a stream is bound to.
 *
 * A stream id is 144 bits from the OS's CSPRNG (`lfs_` + 24 base64url characters): knowing
 * one is the only way to read a stream, so it must not be guessable. An event id is
 * `<stream id>:<seq>`, so a client's `Last-Event-ID` names both the stream and its position.
 *
 * A stream is bound to the credential that created it: the SHA-256 of its `x-api-key` and
 * `authorization` headers (domain-separated; API keys are high-entropy secrets, so a plain
 * hash cannot be reversed). Stores keep only this hash, never the key. A reconnect with any
 * other credential is answered 404, as if the stream did not exist.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const STREAM_ID_BYTES = 18;
const STREAM_ID = /^lfs_[A-Za-z0-9_-]{24}$/;

export function newStreamId(): string {
  return `lfs_${randomBytes(STREAM_ID_BYTES).toString('base64url')}`;
}

export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

export function eventId(streamId: string, seq: number): string {
  return `${streamId}:${seq}`;
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/** The hash a stream is bound to (hex). Requests without a credential share the empty one. */
export function credentialHash(headers: IncomingHttpHeaders): string {
  return createHash('sha256')
    .update('lifeline-stream-credential/1\0')
    .update(headerText(headers['x-api-key']))
    .update('\0')
    .update(headerText(headers.authorization))
    .digest('hex');
}

export function sameCredential(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export type LastEventId =
  | { kind: 'none' }
  | { kind: 'seq'; seq: number }
  | { kind: 'invalid'; reason: string };

/**
 * Reads `Last-Event-ID` for stream `streamId`: `<stream id>:<seq>` as the proxy sent it, or
 * a bare `<seq>`. Absent or empty: from the start.
 */
export function parseLastEventId(value: string | undefined, streamId: string): LastEventId {
  const text = value?.trim() ?? '';
  if (text === '') return { kind: 'none' };
  const colon = text.lastIndexOf(':');
  const idPart = colon === -1 ? undefined : text.slice(0, colon);
  const seqPart = colon === -1 ? text : text.slice(colon + 1);
  if (idPart !== undefined && idPart !== streamId) {
    return { kind: 'invalid', reason: 'it names another stream' };
  }
  if (!/^\d{1,15}$/.test(seqPart)) {
    return { kind: 'invalid', reason: `"${seqPart.slice(0, 20)}" is not an event sequence number` };
  }
  return { kind: 'seq', seq: Number(seqPart) };
}
