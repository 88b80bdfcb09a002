/**
 * SSE decoding benchmark: our SseDecoder and SseFramer against eventsource-parser 3 and the
 * Anthropic SDK's own SSE reader, on the same bytes in the same run.
 *
 * Method:
 * - Input: an Anthropic-shaped Messages stream from bench/fixtures.ts (message_start, ~20k
 *   text_delta events of 5-30 chars with pings, four input_json_delta events of ~220 KB,
 *   message_stop), generated per run from a fresh seed (printed) so the JIT cannot memoize
 *   one input. Each round cuts it into new random chunks of 1-16 KB, as a socket delivers.
 * - Peers: eventsource-parser consumes strings, so it is fed through a streaming TextDecoder
 *   (what its EventSourceParserStream does). The SDK reads a fetch Response body; it is given
 *   `new Response(ReadableStream of the same chunks)`, measured twice: `Stream.rawEvents`
 *   (SSE parsing only) and `Stream.fromSSEResponse` (what the SDK really does, which also
 *   JSON-parses every event). For apples-to-apples comparisons our decoder also runs over
 *   the same Response body ("via Response"), and with JSON.parse of every event's data.
 * - Each contender runs 3 warm-up rounds, then ROUNDS measured rounds (default 15, env
 *   SSE_BENCH_ROUNDS); contenders are interleaved within a round, in a rotating order, so
 *   drift and the garbage of one contender affect all alike. The median round is reported.
 *   No GC is forced before a timed run: on this machine class the first allocations after a
 *   full GC pay for re-committing heap pages, which would swamp the parse itself.
 * - Every run checks that the contenders agree on the event count, so a fast wrong parser
 *   cannot win.
 * - Memory: the decoder is fed the stream once and four times over (same chunks, one long
 *   stream), with a forced GC every 256 chunks; the highest heap seen after those GCs and
 *   the heap at the end are printed, relative to the start. Flat numbers mean what the
 *   decoder retains does not grow with stream length. Forced GC needs `node --expose-gc`
 *   (`npm run bench` passes it).
 */
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { createParser } from 'eventsource-parser';
import { SseDecoder } from '../src/sse/decoder.js';
import { SseFramer } from '../src/sse/framer.js';
import { anthropicStream, chunkRandomly, makeRng } from './fixtures.js';

const WARMUP = 3;
const ROUNDS = Number(process.env.SSE_BENCH_ROUNDS ?? 15);

interface Outcome {
  events: number;
}

type Contender = {
  name: string;
  run: (chunks: readonly Uint8Array[]) => Outcome | Promise<Outcome>;
};

function bodyOf(chunks: readonly Uint8Array[]): Response {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
  return new Response(stream);
}

/** What a consumer does with each event's data: look at it, or parse it as the SDK does. */
type Consume = (data: string) => number;
const touch: Consume = (data) => data.length;
const parse: Consume = (data) => (JSON.parse(data) === null ? 0 : 1);

function decoderSync(consume: Consume): Contender['run'] {
  return (chunks) => {
    const decoder = new SseDecoder();
    let events = 0;
    let sink = 0;
    for (const chunk of chunks) {
      for (const event of decoder.push(chunk)) {
        events++;
        sink += consume(event.data);
      }
    }
    decoder.end();
    return { events: sink >= 0 ? events : -1 };
  };
}

function eventsourceParser(consume: Consume): Contender['run'] {
  return (chunks) => {
    let events = 0;
    let sink = 0;
    const parser = createParser({
      onEvent(event) {
        events++;
        sink += consume(event.data);
      },
    });
    // eventsource-parser takes strings: a streaming TextDecoder, as its own
    // EventSourceParserStream does.
    const text = new TextDecoder();
    for (const chunk of chunks) parser.feed(text.decode(chunk, { stream: true }));
    parser.feed(text.decode());
    return { events: sink >= 0 ? events : -1 };
  };
}

function decoderViaResponse(consume: Consume): Contender['run'] {
  return async (chunks) => {
    const body = bodyOf(chunks).body;
    if (body === null) throw new Error('Response without body');
    const reader = body.getReader();
    const decoder = new SseDecoder();
    let events = 0;
    let sink = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of decoder.push(value)) {
        events++;
        sink += consume(event.data);
      }
    }
    decoder.end();
    return { events: sink >= 0 ? events : -1 };
  };
}

const DECODER = 'SseDecoder';
const FRAMER = 'SseFramer (forward chunks)';
const FRAMER_RAW = 'SseFramer (joined raw)';
const ESP = 'eventsource-parser 3';
const DECODER_JSON = 'SseDecoder + JSON.parse';
const ESP_JSON = 'eventsource-parser 3 + JSON.parse';
const DECODER_RESPONSE = 'SseDecoder via Response';
const SDK_RAW = 'SDK Stream.rawEvents';
const DECODER_RESPONSE_JSON = 'SseDecoder via Response + JSON.parse';
const SDK_JSON = 'SDK Stream.fromSSEResponse (JSON.parse)';

const contenders: Contender[] = [
  { name: DECODER, run: decoderSync(touch) },
  {
    name: FRAMER,
    run(chunks) {
      const framer = new SseFramer();
      let events = 0;
      let bytes = 0;
      for (const chunk of chunks) {
        for (const frame of framer.push(chunk)) {
          // What the proxy's fast path reads: the type, and the pieces to forward.
          if (frame.event !== undefined) events++;
          for (const piece of frame.chunks) bytes += piece.length;
        }
      }
      framer.end();
      return { events: bytes >= 0 ? events : -1 };
    },
  },
  {
    name: FRAMER_RAW,
    run(chunks) {
      const framer = new SseFramer();
      let events = 0;
      let bytes = 0;
      for (const chunk of chunks) {
        for (const frame of framer.push(chunk)) {
          if (frame.event !== undefined) events++;
          bytes += frame.raw.length;
        }
      }
      framer.end();
      return { events: bytes >= 0 ? events : -1 };
    },
  },
  { name: ESP, run: eventsourceParser(touch) },
  { name: DECODER_JSON, run: decoderSync(parse) },
  { name: ESP_JSON, run: eventsourceParser(parse) },
  { name: DECODER_RESPONSE, run: decoderViaResponse(touch) },
  {
    name: SDK_RAW,
    async run(chunks) {
      let events = 0;
      let sink = 0;
      for await (const event of Stream.rawEvents(bodyOf(chunks), new AbortController())) {
        events++;
        sink += event.data.length;
      }
      return { events: sink >= 0 ? events : -1 };
    },
  },
  { name: DECODER_RESPONSE_JSON, run: decoderViaResponse(parse) },
  {
    name: SDK_JSON,
    async run(chunks) {
      let events = 0;
      const stream = Stream.fromSSEResponse<unknown>(bodyOf(chunks), new AbortController());
      for await (const item of stream) {
        if (item !== undefined) events++;
      }
      return { events };
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) collect();
}

async function measure(seed: number): Promise<void> {
  const fixture = anthropicStream({ seed });
  const pings = Math.floor(20_000 / 500);
  const mb = fixture.bytes.length / 1e6;
  console.log(
    `SSE decode benchmark: seed ${seed}, ${mb.toFixed(2)} MB, ${fixture.eventCount} events ` +
      `(${pings} pings), chunks of 1-16 KB, ${WARMUP} warm-up + ${ROUNDS} rounds, median shown`,
  );
  const rng = makeRng(seed ^ 0x5eed);
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const chunks = chunkRandomly(fixture.bytes, rng);
    // Rotate the order so no contender always runs right after another's garbage.
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length]!;
      const start = performance.now();
      const outcome = await contender.run(chunks);
      const elapsed = performance.now() - start;
      // The SDK's fromSSEResponse drops `ping` events before it yields.
      const expected =
        contender.name === SDK_JSON ? fixture.eventCount - pings : fixture.eventCount;
      if (outcome.events !== expected) {
        throw new Error(`${contender.name} saw ${outcome.events} events, expected ${expected}`);
      }
      if (round >= WARMUP) times.get(contender.name)!.push(elapsed);
    }
  }

  const rows = contenders.map((c) => {
    const ms = median(times.get(c.name)!);
    return { name: c.name, ms, mbps: mb / (ms / 1000), eps: fixture.eventCount / (ms / 1000) };
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(
    `${'contender'.padEnd(width)}  ${'ms'.padStart(8)}  ${'MB/s'.padStart(8)}  ${'events/s'.padStart(10)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(width)}  ${row.ms.toFixed(2).padStart(8)}  ${row.mbps.toFixed(0).padStart(8)}  ` +
        `${Math.round(row.eps).toLocaleString('en-US').padStart(10)}`,
    );
  }
  const ms = (name: string): number => rows.find((r) => r.name === name)!.ms;
  const ratio = (a: string, b: string, target?: number): void => {
    const r = ms(b) / ms(a);
    const verdict =
      target === undefined
        ? ''
        : r >= target
          ? `  (target >= ${target}x: met)`
          : `  (target >= ${target}x: MISSED)`;
    console.log(`${a} vs ${b}: ${r.toFixed(2)}x${verdict}`);
  };
  ratio(DECODER, ESP, 1.5);
  ratio(DECODER_JSON, ESP_JSON);
  ratio(FRAMER, ESP);
  ratio(FRAMER_RAW, ESP);
  ratio(DECODER_RESPONSE, SDK_RAW, 1);
  ratio(DECODER_RESPONSE_JSON, SDK_JSON, 1);
  console.log(
    'Notes: the SDK rows read a fetch Response, so they are compared with our decoder over the ' +
      'same Response; Stream.fromSSEResponse JSON-parses every event (as the SDK always does), ' +
      'so it is compared with our decoder plus JSON.parse. A long data line comes out of ' +
      'SseDecoder as a V8 rope of its chunks; the JSON.parse rows include flattening it.',
  );
}

/**
 * The same decoder-vs-eventsource-parser comparison on two variants of the stream, so the
 * headline ratio is not read as universal: without the large tool-input deltas (small events
 * only), and with every text delta non-ASCII (CJK and emoji, as in a Japanese answer).
 */
function variants(seed: number): void {
  const cases = [
    { label: 'small text deltas only (no 220 KB tool-input deltas)', nonAsciiRate: 0.01 },
    { label: 'every text delta non-ASCII (CJK, emoji), no tool input', nonAsciiRate: 1 },
  ];
  for (const { label, nonAsciiRate } of cases) {
    const fixture = anthropicStream({ seed, jsonDeltas: 0, nonAsciiRate });
    const rng = makeRng(seed ^ 0xca5e);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const chunks = chunkRandomly(fixture.bytes, rng);
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const start = performance.now();
        const outcome = which === 0 ? decoderSync(touch)(chunks) : eventsourceParser(touch)(chunks);
        const elapsed = performance.now() - start;
        if ((outcome as Outcome).events !== fixture.eventCount)
          throw new Error(`${label}: wrong count`);
        if (round >= WARMUP) (which === 0 ? ours : theirs).push(elapsed);
      }
    }
    const a = median(ours);
    const b = median(theirs);
    console.log(
      `variant, ${label} (${(fixture.bytes.length / 1e6).toFixed(2)} MB): SseDecoder ${a.toFixed(2)} ms, ` +
        `eventsource-parser ${b.toFixed(2)} ms: ${(b / a).toFixed(2)}x`,
    );
  }
}

function memory(): void {
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    console.log('memory: skipped, run with node --expose-gc to force GC between samples');
    return;
  }
  const fixture = anthropicStream({ seed: 7 });
  const chunks = chunkRandomly(fixture.bytes, makeRng(7));
  for (const times of [1, 4]) {
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let seen = 0;
    let events = 0;
    const decoder = new SseDecoder();
    for (let t = 0; t < times; t++) {
      for (const chunk of chunks) {
        events += decoder.push(chunk).length;
        if (++seen % 256 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      }
    }
    decoder.end();
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(
      `memory, stream x${times} (${((fixture.bytes.length * times) / 1e6).toFixed(1)} MB, ${events} events): ` +
        `highest heap after a periodic GC ${((peak - before) / 1e6).toFixed(2)} MB above start, ` +
        `at the end ${((after - before) / 1e6).toFixed(2)} MB`,
    );
  }
}

const seed = (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 0;
await measure(seed);
variants(seed);
memory();
