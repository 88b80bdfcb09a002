/**
 * Event bytes the splicer writes when it cannot forward an upstream event's own bytes
 * (renumbered, merged at a seam, synthesized): the API's layout, `event: T` + one data line.
 */
const encoder = new TextEncoder();

export function encodeEventBytes(type: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * `encodeEventBytes` of a text delta, byte for byte, without stringifying the object: a
 * quarter of the deltas of a typical stream are re-encoded (held trailing whitespace moves).
 */
export function textDeltaBytes(index: number, text: string): Uint8Array {
  return encoder.encode(
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`,
  );
}
