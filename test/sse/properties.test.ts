/**
 * Property tests for the SSE codec: round trips through the encoder, chunking invariance,
 * agreement with a plain reference reading of the spec, and the framer's byte-exactness.
 * Each property runs at least 500 times; the total is printed at the end for the report.
 * (Under mutation testing, vitest.mutate.config.ts sets PROPERTY_RUNS lower: every mutant that
 * survives pays for all the runs.)
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeComment,
  encodeEvent,
  SseDecoder,
  SseError,
  type SseEvent,
  SseFramer,
} from '../../src/sse/index.js';
import { byteSoup, chunk, concat, cuts, denseStream, fewCuts, streamItems } from './arbitraries.js';
import { referenceDecode } from './reference.js';

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 500);
const utf8 = new TextEncoder();
let runs = 0;
let properties = 0;

/** `fc.assert` with NUM_RUNS runs, counting every run for the printed total. */
function check<A, B>(a: fc.Arbitrary<A>, b: fc.Arbitrary<B>, predicate: (a: A, b: B) => void): void;
function check<A, B, C>(
  a: fc.Arbitrary<A>,
  b: fc.Arbitrary<B>,
  c: fc.Arbitrary<C>,
  predicate: (a: A, b: B, c: C) => void,
): void;
function check(...args: unknown[]): void {
  const predicate = args.pop() as (...values: unknown[]) => void;
  const arbitraries = args as fc.Arbitrary<unknown>[];
  properties++;
  const counted = (...values: unknown[]): void => {
    runs++;
    predicate(...values);
  };
  fc.assert(fc.property(...(arbitraries as [fc.Arbitrary<unknown>]), counted), {
    numRuns: NUM_RUNS,
  });
}

interface Decoded {
  events: SseEvent[];
  comments: string[];
  retries: number[];
}

function decodeChunks(chunks: readonly Uint8Array[]): Decoded {
  const comments: string[] = [];
  const retries: number[] = [];
  const decoder = new SseDecoder({
    onComment: (c) => comments.push(c),
    onRetry: (r) => retries.push(r),
  });
  const events = decoder.decodeAll(chunks);
  return { events, comments, retries };
}

/** What decoding should give for an event written by `encodeEvent`. */
function expectedEvent(event: SseEvent): SseEvent {
  return {
    event: event.event === '' ? undefined : event.event,
    data: event.data.replace(/\r\n|\r/g, '\n'),
    id: event.id,
    retry: event.retry,
  };
}

afterAll(() => {
  console.log(`SSE property tests: ${runs} runs over ${properties} properties`);
});

describe('SseDecoder properties', () => {
  it('decodes what the encoder wrote, events and comments, for any chunking', () => {
    check(streamItems, cuts, (items, at) => {
      const text = items
        .map((item) => (item.kind === 'event' ? encodeEvent(item.event) : encodeComment(item.text)))
        .join('');
      const got = decodeChunks(chunk(utf8.encode(text), at));
      const events = items.flatMap((i) => (i.kind === 'event' ? [expectedEvent(i.event)] : []));
      const comments = items.flatMap((i) =>
        i.kind === 'comment' ? i.text.split(/\r\n|\r|\n/) : [],
      );
      expect(got.events).toStrictEqual(events);
      expect(got.comments).toStrictEqual(comments);
    });
  });

  it('gives the same result for any chunking as for one chunk', () => {
    check(byteSoup, cuts, (bytes, at) => {
      expect(decodeChunks(chunk(bytes, at))).toStrictEqual(decodeChunks([bytes]));
    });
  });

  it('agrees with a plain reading of the spec on arbitrary bytes', () => {
    check(byteSoup, cuts, (bytes, at) => {
      expect(decodeChunks(chunk(bytes, at))).toStrictEqual(referenceDecode(bytes));
    });
  });

  it('decodes long, mostly non-ASCII streams like the reference, in large chunks', () => {
    check(denseStream, fewCuts, (bytes, at) => {
      expect(decodeChunks(chunk(bytes, at))).toStrictEqual(referenceDecode(bytes));
    });
  });

  it('counts event sizes exactly in long non-ASCII streams, near the limit', () => {
    check(denseStream, fewCuts, fc.integer({ min: 20, max: 400 }), (bytes, at, limit) => {
      const run = (chunks: readonly Uint8Array[]) => {
        const decoder = new SseDecoder({ maxEventSize: limit });
        const events: SseEvent[] = [];
        try {
          for (const c of chunks) events.push(...decoder.push(c));
          return { events, failed: false };
        } catch (error) {
          if (!(error instanceof SseError)) throw error;
          return { events: [...events, ...error.completed], failed: true };
        }
      };
      const whole = run([bytes]);
      expect(run(chunk(bytes, at))).toStrictEqual(whole);
      // The framer counts raw bytes without decoding: the same verdict is a check on both.
      const framer = new SseFramer({ maxEventSize: limit });
      let framerFailed = false;
      try {
        for (const c of chunk(bytes, at)) framer.push(c);
      } catch {
        framerFailed = true;
      }
      expect(framerFailed).toBe(whole.failed);
    });
  });

  it('fails on an oversized event the same way for any chunking, losing no earlier event', () => {
    check(byteSoup, cuts, fc.integer({ min: 0, max: 40 }), (bytes, at, limit) => {
      const run = (chunks: readonly Uint8Array[]) => {
        const decoder = new SseDecoder({ maxEventSize: limit });
        const events: SseEvent[] = [];
        try {
          for (const c of chunks) events.push(...decoder.push(c));
          decoder.end();
          return { events, failed: false };
        } catch (error) {
          if (!(error instanceof SseError) || error.type !== 'event-too-large') throw error;
          events.push(...error.completed);
          return { events, failed: true };
        }
      };
      expect(run(chunk(bytes, at))).toStrictEqual(run([bytes]));
    });
  });
});

describe('SseFramer properties', () => {
  it('frames concatenate back to the exact input bytes', () => {
    check(byteSoup, cuts, (bytes, at) => {
      const framer = new SseFramer();
      const frames = chunk(bytes, at).flatMap((c) => framer.push(c));
      const rest = framer.end().rest;
      // Pieces first: reading `raw` replaces them with the joined bytes.
      const fromChunks = concat([...frames.flatMap((f) => f.chunks), rest]);
      // Every piece is a write worth making: none is empty.
      expect(frames.every((f) => f.chunks.every((c) => c.length > 0))).toBe(true);
      const fromRaw = concat([...frames.map((f) => f.raw), rest]);
      expect(Buffer.from(fromRaw).equals(Buffer.from(bytes))).toBe(true);
      expect(Buffer.from(fromChunks).equals(Buffer.from(bytes))).toBe(true);
      expect(frames.map((f) => f.byteLength)).toStrictEqual(frames.map((f) => f.raw.length));
    });
  });

  it('decoding each frame gives what decoding the whole stream gives', () => {
    check(byteSoup, cuts, (bytes, at) => {
      const framer = new SseFramer();
      const frames = chunk(bytes, at).flatMap((c) => framer.push(c));
      const whole = decodeChunks([bytes]).events;
      const perFrame = frames.flatMap((f) => {
        const event = f.toEvent();
        return event === undefined ? [] : [event];
      });
      expect(perFrame).toStrictEqual(whole);
      for (const frame of frames) {
        const event = frame.toEvent();
        if (event !== undefined) {
          // The eager `event` field and lazy `dataText()` agree with the full decode.
          expect(frame.event).toBe(event.event);
          expect(frame.dataText()).toBe(event.data);
          expect(frame.isComment).toBe(false);
        }
      }
    });
  });

  it('throws event-too-large exactly when the decoder does', () => {
    check(byteSoup, cuts, fc.integer({ min: 0, max: 40 }), (bytes, at, limit) => {
      const fails = (push: (c: Uint8Array) => void): boolean => {
        try {
          for (const c of chunk(bytes, at)) push(c);
          return false;
        } catch (error) {
          if (error instanceof SseError && error.type === 'event-too-large') return true;
          throw error;
        }
      };
      const decoder = new SseDecoder({ maxEventSize: limit });
      const framer = new SseFramer({ maxEventSize: limit });
      expect(fails((c) => framer.push(c))).toBe(fails((c) => decoder.push(c)));
    });
  });
});
