/**
 * What the visible bytes of an event cut off mid-way say about it: its type, its block index,
 * its delta type, and how far into the delta's payload string (`partial_json`, `text`,
 * `thinking`, `signature`) the bytes go. A stream that dies while an event is being written
 * leaves exactly such bytes (the SSE framer's incomplete trailing frame); the troubleshooting
 * path needs them named ("block 38's input_json_delta cut 20 bytes into its partial_json").
 *
 * The event's data is incomplete JSON, so it cannot be parsed: the fields are read with
 * patterns that rely on the API's field order (`type` first, `index`, then `delta` with its
 * `type` before its payload). A field whose bytes did not all arrive is left `undefined`
 * rather than guessed.
 */

/** The payload string of each delta type that carries one. */
export const DELTA_PAYLOAD_FIELDS: Readonly<Record<string, string>> = {
  input_json_delta: 'partial_json',
  text_delta: 'text',
  thinking_delta: 'thinking',
  signature_delta: 'signature',
};

export interface CutEvent {
  /** Bytes of the event that arrived (SSE framing included). */
  bytes: number;
  /** The event's type, from its `event:` line or the `"type"` of its data. */
  event: string | undefined;
  /** The content block index, when its digits arrived whole. */
  index: number | undefined;
  /** On `content_block_start`: the type of the block it starts. */
  blockType: string | undefined;
  /** On `content_block_delta`: the delta's type, when it arrived whole. */
  deltaType: string | undefined;
  /** The payload field the bytes reached (`partial_json`, `text`, ...). */
  payloadField: string | undefined;
  /**
   * UTF-8 bytes of the payload that arrived, unescaped (the unit of a trace's `payloadBytes`);
   * a character or escape cut in half is not counted.
   */
  payloadBytes: number | undefined;
  /** The payload's closing quote arrived: the cut came after the payload, in the event's end. */
  payloadComplete: boolean | undefined;
}

const EVENT_LINE = /^event: ?([^\r\n]*)\r?$/m;
const TYPE_FIELD = /"type"\s*:\s*"([A-Za-z0-9_]+)"/;
const INDEX_FIELD = /"index"\s*:\s*(\d+)[,}\s]/;
const BLOCK_TYPE = /"content_block"\s*:\s*\{\s*"type"\s*:\s*"([A-Za-z0-9_]+)"/;
const DELTA_TYPE = /"delta"\s*:\s*\{\s*"type"\s*:\s*"([A-Za-z0-9_]+)"/;
const PAYLOAD_START = /"(partial_json|text|thinking|signature)"\s*:\s*"/g;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/** The `data:` lines' values joined, as the SSE decoder would (the last one may be cut). */
function dataOf(text: string): string {
  const values: string[] = [];
  for (const line of text.split('\n')) {
    const clean = line.replace(/\r$/, '');
    if (clean === 'data' || clean.startsWith('data:')) {
      const value = clean.slice(5);
      values.push(value.startsWith(' ') ? value.slice(1) : value);
    }
  }
  return values.join('\n');
}

/**
 * The raw (still escaped) text of a JSON string starting at `from`, up to its closing quote or
 * the end; an escape cut in half at the end is dropped.
 */
function jsonStringPrefix(data: string, from: number): { raw: string; closed: boolean } {
  let i = from;
  while (i < data.length) {
    const c = data.charCodeAt(i);
    if (c === QUOTE) return { raw: data.slice(from, i), closed: true };
    if (c === BACKSLASH) {
      const escaped = data[i + 1];
      if (escaped === undefined) break;
      const width = escaped === 'u' ? 6 : 2;
      if (i + width > data.length) break;
      i += width;
      continue;
    }
    i++;
  }
  return { raw: data.slice(from, i), closed: false };
}

function utf8Bytes(raw: string): number | undefined {
  try {
    return new TextEncoder().encode(JSON.parse(`"${raw}"`) as string).length;
  } catch {
    return undefined;
  }
}

/**
 * Names the event whose first `bytes` arrived before the stream died. Returns `undefined` when
 * the bytes are only whitespace (the stream ended on an event boundary).
 */
export function describeCutEvent(bytes: Uint8Array): CutEvent | undefined {
  // `stream: true` holds back a UTF-8 sequence cut in half instead of decoding it as U+FFFD.
  const text = new TextDecoder().decode(bytes, { stream: true });
  if (text.trim() === '') return undefined;
  const data = dataOf(text);
  const named = EVENT_LINE.exec(text)?.[1];
  const event = named !== undefined && named !== '' ? named : TYPE_FIELD.exec(data)?.[1];
  const index = INDEX_FIELD.exec(data)?.[1];
  const cut: CutEvent = {
    bytes: bytes.length,
    event,
    index: index === undefined ? undefined : Number(index),
    blockType: BLOCK_TYPE.exec(data)?.[1],
    deltaType: undefined,
    payloadField: undefined,
    payloadBytes: undefined,
    payloadComplete: undefined,
  };
  const delta = DELTA_TYPE.exec(data);
  if (delta === null) return cut;
  cut.deltaType = delta[1];
  PAYLOAD_START.lastIndex = delta.index + delta[0].length;
  const payload = PAYLOAD_START.exec(data);
  if (payload === null) return cut;
  const { raw, closed } = jsonStringPrefix(data, payload.index + payload[0].length);
  cut.payloadField = payload[1];
  cut.payloadBytes = utf8Bytes(raw);
  cut.payloadComplete = closed;
  return cut;
}
