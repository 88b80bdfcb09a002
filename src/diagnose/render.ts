/**
 * Small text helpers shared by the explain, doctor and diff reports: colour as an injected
 * function set (the CLI decides whether stdout is a terminal; the reports do not know), and
 * word wrapping for readable paragraphs.
 */

/** The colour functions the reports use; picocolors' `Colors` satisfies it. */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const same = (text: string): string => text;

/** No colour: for pipes, files and tests. */
export const PLAIN: Paint = {
  bold: same,
  dim: same,
  red: same,
  yellow: same,
  green: same,
  cyan: same,
};

/** Report width in columns; long words (URLs) are never split. */
export const WIDTH = 100;

/** Word-wraps `text` to WIDTH columns, every line starting with `indent`. */
export function wrap(text: string, indent: string, firstIndent = indent): string {
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Pads `text` to `width` columns (no truncation). */
export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
