/**
 * Sizes of stream payloads in UTF-8 bytes, the unit a wire capture and an incident note use
 * ("died 20 bytes into an input_json_delta", "previous tool input ~42 KB").
 */
import type { ContentBlock } from '../protocol/index.js';

/**
 * UTF-8 length of a JS string without encoding it. A lone surrogate counts 3 bytes, as
 * `TextEncoder` writes it as U+FFFD. Called once per delta, so the total cost stays linear.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      // Past the end, `charCodeAt` is NaN: a high surrogate at the end counts 3, like a lone one.
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Size of a complete block, as its JSON in UTF-8 bytes. */
export function blockBytes(block: ContentBlock): number {
  return utf8ByteLength(JSON.stringify(block));
}

/**
 * Size of a tool block's `input`, as its JSON in UTF-8 bytes (what streamed as
 * `input_json_delta`, give or take whitespace). `undefined` for a block without an input.
 */
export function toolInputBytes(block: ContentBlock): number | undefined {
  if (!('input' in block)) return undefined;
  const json = JSON.stringify(block.input ?? {});
  return utf8ByteLength(json);
}

const UNITS = ['KB', 'MB', 'GB'] as const;

/** A rounded, human size: `512 B`, `42 KB`, `1.5 MB` (1 KB = 1024 B). */
export function formatByteSize(bytes: number): string {
  let value = bytes;
  let unit: string = 'B';
  for (const next of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${rounded} ${unit}`;
}
