/**
 * An upstream event's data, parsed, with a fast path for the shapes the API sends by the
 * thousand: the fault-free path, which every stream takes, has to be cheap.
 *
 * - `simpleDataText`: the data of a frame shaped exactly `event: NAME\ndata: JSON\n\n` (LF
 *   line ends, one data line: every event the API sends), read straight from its bytes instead
 *   of running a full SSE decoder over the frame. Any other shape returns undefined and the
 *   caller uses the decoder.
 * - `parseEventData`: `JSON.parse`, except for content_block_delta events whose delta is a
 *   `text_delta`, `input_json_delta` or `thinking_delta` laid out as the API lays them out,
 *   which are taken apart by position: only the delta's string is decoded (and not even that
 *   when it holds no escapes). Anything unexpected falls back to `JSON.parse`, so the result
 *   is always exactly what `JSON.parse` returns, or its error.
 */

const LF = 0x0a;
const CR = 0x0d;
const EVENT_FIELD = [0x65, 0x76, 0x65, 0x6e, 0x74, 0x3a]; // "event:"
const DATA_FIELD = [0x64, 0x61, 0x74, 0x61, 0x3a, 0x20]; // "data: "

const utf8 = new TextDecoder();

function startsWithBytes(bytes: Uint8Array, at: number, prefix: readonly number[]): boolean {
  // Stryker disable next-line all: speed only: a read past the end is undefined, which matches no byte
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** The data of `event: NAME\ndata: JSON\n\n`, or undefined for any other frame shape. */
export function simpleDataText(raw: Uint8Array): string | undefined {
  const n = raw.length;
  // Stryker disable next-line all: speed only: a frame this short, or without LF before its last byte, fails the data line check too
  if (n < 10 || raw[n - 2] !== LF) return undefined;
  if (raw[n - 1] !== LF) return undefined;
  if (!startsWithBytes(raw, 0, EVENT_FIELD)) return undefined;
  const firstEnd = raw.indexOf(LF);
  const dataStart = firstEnd + 1;
  if (!startsWithBytes(raw, dataStart, DATA_FIELD)) return undefined;
  const dataEnd = n - 2;
  if (raw.indexOf(LF, dataStart) !== dataEnd) return undefined;
  if (raw.indexOf(CR) !== -1) return undefined;
  return utf8.decode(raw.subarray(dataStart + DATA_FIELD.length, dataEnd));
}

const DELTA_HEAD = '{"type":"content_block_delta","index":';
const DELTA_TAIL = '"}}';
/** The delta layouts the API sends, and the field holding the string. */
const DELTA_KINDS: ReadonlyArray<{ mid: string; type: string; field: string }> = [
  { mid: ',"delta":{"type":"text_delta","text":"', type: 'text_delta', field: 'text' },
  {
    mid: ',"delta":{"type":"input_json_delta","partial_json":"',
    type: 'input_json_delta',
    field: 'partial_json',
  },
  {
    mid: ',"delta":{"type":"thinking_delta","thinking":"',
    type: 'thinking_delta',
    field: 'thinking',
  },
];
/** What a JSON string literal cannot hold raw: its quote, escapes, control characters. */
const NEEDS_DECODING = /["\\\u0000-\u001f]/;
const C_0 = 48;
const C_9 = 57;

/** The content of a JSON string literal (without its quotes), or undefined if it is not one. */
function decodeLiteral(literal: string): string | undefined {
  if (!NEEDS_DECODING.test(literal)) return literal;
  try {
    // Quotes around it: what parses is one string literal, so a string.
    return JSON.parse(`"${literal}"`) as string;
  } catch {
    return undefined;
  }
}

function fastDelta(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith(DELTA_HEAD) || !text.endsWith(DELTA_TAIL)) return undefined;
  let at = DELTA_HEAD.length;
  let index = 0;
  const first = at;
  for (; at < text.length && at - first < 9; at++) {
    const c = text.charCodeAt(at);
    if (c < C_0 || c > C_9) break;
    index = index * 10 + (c - C_0);
  }
  const digits = at - first;
  // JSON has no leading zeros; a long index is not worth special-casing.
  if (digits === 0 || digits > 8 || (digits > 1 && text.charCodeAt(first) === C_0)) {
    return undefined;
  }
  for (const kind of DELTA_KINDS) {
    if (!text.startsWith(kind.mid, at)) continue;
    const start = at + kind.mid.length;
    const end = text.length - DELTA_TAIL.length;
    if (end < start) return undefined;
    const value = decodeLiteral(text.slice(start, end));
    if (value === undefined) return undefined;
    return { type: 'content_block_delta', index, delta: { type: kind.type, [kind.field]: value } };
  }
  return undefined;
}

/** `JSON.parse(text)` as an object, faster for the common delta events. Throws as JSON.parse does. */
export function parseEventData(text: string): Record<string, unknown> {
  return fastDelta(text) ?? (JSON.parse(text) as Record<string, unknown>);
}
