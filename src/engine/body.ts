/**
 * Reading upstream bodies: whatever `send` returned (a web ReadableStream or a Node async
 * iterable), as bytes, without copying more than once.
 */
import type { UpstreamResponse } from './types.js';

export function isEventStream(headers: Headers): boolean {
  return (headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
}

/** The body as an async iterable, without a wrapping generator when it already is one. */
export function iterable(body: UpstreamResponse['body']): AsyncIterable<Uint8Array> {
  if (body !== null && Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  return iterate(body);
}

export async function* iterate(body: UpstreamResponse['body']): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export async function readText(body: UpstreamResponse['body'], limit = 64 * 1024): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of iterate(body)) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > limit) break;
    }
  } catch {
    // partial error bodies are still worth showing
  }
  return text.slice(0, limit);
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
