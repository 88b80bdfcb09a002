/**
 * Linear work of the decoder and the framer: however the input is chunked, each byte is
 * examined a bounded number of times (the `bytesScanned` work counter, a deterministic stand-in
 * for a timing). A file of their own because they are the slow SSE unit tests (20 MB inputs):
 * a mutation run of one module can leave them out (MUTATE_TESTS), and the counter's own
 * updates are ignored mutants (stryker-ignorers.mjs).
 */
import { describe, expect, it } from 'vitest';
import { SseDecoder, SseFramer } from '../../src/sse/index.js';
import { bytes } from './helpers.js';

describe('decoder linear work', () => {
  it('decodes a 20 MB single event in 64-byte chunks scanning each byte at most twice', () => {
    const size = 20 * 1024 * 1024;
    const input = new Uint8Array(size + 8).fill(0x61);
    input.set(bytes('data: '), 0);
    input.set(bytes('\n\n'), size + 6);
    const decoder = new SseDecoder({ maxEventSize: 32 * 1024 * 1024 });
    const events = [];
    for (let at = 0; at < input.length; at += 64)
      events.push(...decoder.push(input.subarray(at, at + 64)));
    expect(events).toHaveLength(1);
    expect(events[0]!.data.length).toBe(size);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(decoder.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(decoder.bytesScanned).toBeLessThanOrEqual(2 * input.length);
  });

  it('decodes many small events in 1-byte chunks scanning each byte at most twice', () => {
    const input = bytes('event: e\r\ndata: x\r\n\r\n'.repeat(2000));
    const decoder = new SseDecoder();
    const events = [];
    for (let at = 0; at < input.length; at++)
      events.push(...decoder.push(input.subarray(at, at + 1)));
    expect(events).toHaveLength(2000);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(decoder.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(decoder.bytesScanned).toBeLessThanOrEqual(2 * input.length);
  });

  it('decodes a CR-only stream in large chunks scanning each byte at most twice', () => {
    const input = bytes('event: e\rdata: x\r\r'.repeat(20000));
    const decoder = new SseDecoder();
    const events = [];
    for (let at = 0; at < input.length; at += 8192) {
      events.push(...decoder.push(input.subarray(at, at + 8192)));
    }
    expect(events).toHaveLength(20000);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(decoder.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(decoder.bytesScanned).toBeLessThanOrEqual(2 * input.length);
  });

  it('decodes a long non-ASCII stream in large chunks scanning each byte at most four times', () => {
    const input = bytes('event: 事件\ndata: 日本語のテキスト 😀\n\n'.repeat(5000));
    const decoder = new SseDecoder();
    const events = [];
    for (let at = 0; at < input.length; at += 8192)
      events.push(...decoder.push(input.subarray(at, at + 8192)));
    expect(events).toHaveLength(5000);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(decoder.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(decoder.bytesScanned).toBeLessThanOrEqual(4 * input.length);
  });
});

describe('framer linear work', () => {
  it('frames a 20 MB single event in 64-byte chunks scanning each byte at most twice', () => {
    const size = 20 * 1024 * 1024;
    const input = new Uint8Array(size + 8).fill(0x61);
    input.set(bytes('data: '), 0);
    input.set(bytes('\n\n'), size + 6);
    const framer = new SseFramer({ maxEventSize: 32 * 1024 * 1024 });
    const frames = [];
    for (let at = 0; at < input.length; at += 64)
      frames.push(...framer.push(input.subarray(at, at + 64)));
    expect(frames.map((f) => f.raw.length)).toStrictEqual([input.length]);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(framer.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(framer.bytesScanned).toBeLessThanOrEqual(2 * input.length);
  });
});
