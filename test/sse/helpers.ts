/** Small helpers for the SSE unit tests: strings to chunks, chunks to events. */
import { SseDecoder, type SseDecoderOptions, type SseEvent } from '../../src/sse/index.js';

const utf8 = new TextEncoder();

/** A chunk from a string (UTF-8) or from raw byte values. */
export function bytes(input: string | readonly number[]): Uint8Array {
  return typeof input === 'string' ? utf8.encode(input) : new Uint8Array(input);
}

/** Pushes each part as its own chunk, then ends the stream; returns every event. */
export function decode(
  parts: ReadonlyArray<string | readonly number[]>,
  options?: SseDecoderOptions,
): SseEvent[] {
  return new SseDecoder(options).decodeAll(parts.map(bytes));
}

/** An event as the decoder returns it, with unset fields explicit. */
export function ev(data: string, fields: Omit<SseEvent, 'data'> = {}): SseEvent {
  return { event: fields.event, data, id: fields.id, retry: fields.retry };
}
