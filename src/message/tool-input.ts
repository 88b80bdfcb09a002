/**
 * Turning a tool block's streamed `input_json_delta` fragments into its `input`, once.
 *
 * The input is not valid JSON until `content_block_stop`, so we never parse it before then:
 * the fragments are joined and parsed exactly once per block (parsing on every delta, as a
 * naive accumulator does, is quadratic in the input size).
 *
 * The result must equal what `@anthropic-ai/sdk`'s `MessageStream.finalMessage()` gives for
 * the same stream, so the fallbacks follow the SDK (lib/BetaMessageStream, `withLazyInput`
 * in internal/message-stream-utils):
 * - no `input_json_delta` at all: the start payload's `input` stays (normally `{}`);
 * - deltas that join to `''`: `{}`;
 * - otherwise the SDK runs its partial-JSON parser, which completes a truncated document
 *   (`{"a": [1, 2` -> `{a: [1]}`). Strict `JSON.parse` agrees with it on every valid
 *   document, so we try the strict parse first (one parse, the common case) and only fall
 *   back to the SDK's parser when it fails;
 * - input that even the partial parser rejects makes the SDK error the stream and set the
 *   input to `{}`. We set `{}` too, but keep the raw text (see `ToolInputIssue`), since a
 *   partial message must still be inspectable after a bad stream.
 */
import { partialParse } from './vendor/partial-json.js';

/** The property name under which the SDK keeps a tool block's raw JSON text. */
export const JSON_BUF_PROPERTY = '__json_buf';

/** Longest excerpt of a tool input quoted in an issue or error message. */
export const EXCERPT_CHARS = 120;

/** A tool input that did not parse as strict JSON at `content_block_stop`. */
export interface ToolInputIssue {
  /** Stream index of the block. */
  index: number;
  /**
   * `repaired`: strict JSON failed but the SDK's partial parser completed it (the input is
   * what the SDK would report). `invalid`: neither parsed; the input is `{}`, as in the SDK.
   */
  kind: 'repaired' | 'invalid';
  /** Why the strict parse failed. */
  reason: string;
  /** Length of the raw input text, in UTF-16 code units. */
  length: number;
  /** The start of the raw input text, truncated to `EXCERPT_CHARS`. */
  excerpt: string;
}

export interface ParsedToolInput {
  input: unknown;
  issue?: Omit<ToolInputIssue, 'index'>;
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function excerptOf(text: string, max = EXCERPT_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** Parses a complete tool input text the way the SDK's `finalMessage()` ends up with it. */
export function parseToolInput(raw: string): ParsedToolInput {
  if (raw === '') return { input: {} };
  try {
    return { input: JSON.parse(raw) };
  } catch (strictError) {
    // JSON.parse of a string throws a SyntaxError, nothing else.
    const reason = (strictError as SyntaxError).message;
    const detail = { reason, length: raw.length, excerpt: excerptOf(raw) };
    try {
      return { input: partialParse(raw), issue: { kind: 'repaired', ...detail } };
    } catch {
      return { input: {}, issue: { kind: 'invalid', ...detail } };
    }
  }
}
