/**
 * Fixture generators shared by benchmarks and tests: an Anthropic-shaped Messages stream and
 * random chunkings of it. Everything is seeded, so a run prints its seed and can be replayed,
 * and a new seed per run keeps the JIT from specialising on one fixed input.
 */

/** mulberry32: a tiny seeded PRNG, good enough to vary fixtures (not for anything secret). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export interface AnthropicStreamOptions {
  seed: number;
  /** Number of small `text_delta` events (default 20 000). */
  textDeltas?: number;
  /** Number of large `input_json_delta` events (default 4). */
  jsonDeltas?: number;
  /** Approximate size of each large `input_json_delta` payload in bytes (default 220 000). */
  jsonDeltaBytes?: number;
  /** Share of text deltas that carry non-ASCII text (accents, CJK, emoji; default 0.01). */
  nonAsciiRate?: number;
  /** A `ping` event every this many deltas (default 500). */
  pingEvery?: number;
}

export interface AnthropicStreamFixture {
  seed: number;
  bytes: Uint8Array;
  /** Events in the stream (each ends with a blank line). */
  eventCount: number;
  /** Concatenated text of all text deltas, to check a parse end to end. */
  text: string;
}

const WORDS = [
  'the',
  'stream',
  'of',
  'tokens',
  'arrives',
  'as',
  'small',
  'deltas',
  'and',
  'a',
  'proxy',
  'must',
  'forward',
  'them',
  'without',
  'delay',
  'while',
  'keeping',
  'enough',
  'state',
  'to',
  'resume',
  'when',
  'the',
  'socket',
  'closes',
  'early',
  'in',
  'code',
  'function',
  'return',
];
const NON_ASCII = ['é', 'ü', 'ß', '→', '日本語', '中文', '😀', '🚀', '€', 'ñ'];

function textPiece(rng: () => number, nonAsciiRate: number): string {
  const target = randomInt(rng, 5, 30);
  let out = '';
  while (out.length < target) {
    out +=
      rng() < nonAsciiRate
        ? NON_ASCII[randomInt(rng, 0, NON_ASCII.length - 1)]
        : WORDS[randomInt(rng, 0, WORDS.length - 1)];
    out += rng() < 0.1 ? '\n' : ' ';
  }
  return out.slice(0, target);
}

function jsonPiece(rng: () => number, bytes: number): string {
  // A tool input fragment: JSON text (with quotes, newlines, escapes) as a model emits it.
  const parts: string[] = ['{"path": "/tmp/file.py", "file_text": "'];
  let size = parts[0]!.length;
  while (size < bytes) {
    const word = WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const sep = rng() < 0.08 ? '\\n' : rng() < 0.02 ? '\\"' : ' ';
    parts.push(word, sep);
    size += word.length + sep.length;
  }
  parts.push('"}');
  return parts.join('');
}

function sse(type: string, payload: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * An Anthropic Messages stream: message_start, a text block of many small text deltas (with
 * pings), a tool_use block whose input arrives as a few very large input_json_delta events,
 * message_delta, message_stop. The shape of the seed incident, at benchmark scale.
 */
export function anthropicStream(options: AnthropicStreamOptions): AnthropicStreamFixture {
  const rng = makeRng(options.seed);
  const textDeltas = options.textDeltas ?? 20_000;
  const jsonDeltas = options.jsonDeltas ?? 4;
  const jsonDeltaBytes = options.jsonDeltaBytes ?? 220_000;
  const nonAsciiRate = options.nonAsciiRate ?? 0.01;
  const pingEvery = options.pingEvery ?? 500;
  const id = `msg_${Math.floor(rng() * 1e16).toString(36)}`;
  const parts: string[] = [];
  let eventCount = 0;
  const push = (type: string, payload: unknown): void => {
    parts.push(sse(type, payload));
    eventCount++;
  };

  push('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 1234, output_tokens: 1 },
    },
  });
  push('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  let text = '';
  for (let i = 0; i < textDeltas; i++) {
    const piece = textPiece(rng, nonAsciiRate);
    text += piece;
    push('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: piece },
    });
    if (pingEvery > 0 && i % pingEvery === pingEvery - 1) push('ping', { type: 'ping' });
  }
  push('content_block_stop', { type: 'content_block_stop', index: 0 });
  push('content_block_start', {
    type: 'content_block_start',
    index: 1,
    content_block: {
      type: 'tool_use',
      id: 'toolu_01',
      name: 'str_replace_based_edit_tool',
      input: {},
    },
  });
  for (let i = 0; i < jsonDeltas; i++) {
    push('content_block_delta', {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: jsonPiece(rng, jsonDeltaBytes) },
    });
  }
  push('content_block_stop', { type: 'content_block_stop', index: 1 });
  push('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: textDeltas * 6 },
  });
  push('message_stop', { type: 'message_stop' });

  return { seed: options.seed, bytes: new TextEncoder().encode(parts.join('')), eventCount, text };
}

/** Cuts `bytes` into chunks of random sizes in `[min, max]`, as views (no copies). */
export function chunkRandomly(
  bytes: Uint8Array,
  rng: () => number,
  min = 1024,
  max = 16 * 1024,
): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = randomInt(rng, min, max);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}
