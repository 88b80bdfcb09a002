/**
 * Normalises pasted error text so the same error matches however it reached us: copied from a
 * coloured terminal (ANSI escapes), hard-wrapped at 80 columns (even mid-word), escaped inside
 * a JSON log line (`\n`, `\"`), printed by Python (single quotes) or JavaScript (double), or
 * passed through a word processor (curly quotes).
 */

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks). Built from
// strings because matching control characters is the point here (lint forbids them in literals).
const ESC = '\u001b';
const BEL = '\u0007';
const ANSI = new RegExp(
  `${ESC}\\[[0-9;?]*[ -/]*[@-~]|${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`,
  'g',
);
const SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b\u2032\uff07]/g;
const DOUBLE_QUOTES = /[\u201c\u201d\u201e\u201f\u2033\uff02\u00ab\u00bb]/g;
// Escapes left in text copied out of JSON log lines.
const ESCAPED_BREAKS = /\\r\\n|\\n|\\r|\\t/g;
const ESCAPED_QUOTE = /\\(["'])/g;
const WHITESPACE = /\s+/g;
const WHITESPACE_AND_QUOTES = /[\s'"`]+/g;

export interface NormalisedText {
  /** Quotes unified, escapes undone, all whitespace collapsed to single spaces; case kept. */
  readonly spaced: string;
  /** `spaced`, lower-cased, with every whitespace and quote character removed. */
  readonly compact: string;
}

export function normaliseErrorText(raw: string): NormalisedText {
  const spaced = raw
    .replace(ANSI, '')
    .replace(ESCAPED_BREAKS, ' ')
    .replace(ESCAPED_QUOTE, '$1')
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(WHITESPACE, ' ')
    .trim();
  return { spaced, compact: compactPhrase(spaced) };
}

/**
 * The form phrases are compared in. Dropping whitespace makes a line wrapped mid-word match
 * again ("incomplete chun\nked read"); dropping quotes makes `'tool_use'`, "tool_use" and
 * `tool_use` the same.
 */
export function compactPhrase(text: string): string {
  return text.toLowerCase().replace(WHITESPACE_AND_QUOTES, '');
}
