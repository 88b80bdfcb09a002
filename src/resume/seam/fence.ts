/**
 * Code fences at the seam. When the delivered text stops inside a fenced code block, a model
 * continuing in a new turn often reopens the fence ("```python\n") and restates the current
 * line. The reopened fence is removed when it is certainly a reopening:
 * - it carries an info string ("```python"): a closing fence never does (CommonMark);
 * - or the delivered text stops mid-line with no newline held or written before the fence: a
 *   closing fence must start a line, so "re```" cannot be one.
 * A bare fence after a newline may be the block's real end; it is removed only when what
 * follows it restates the delivered text (then it cannot be a close followed by prose).
 */

/** The fence the delivered text is inside, if any. */
export interface OpenFence {
  /** The fence characters as opened ("```", "~~~~"). */
  marker: string;
  /** The delivered text's last line is not empty (the cut fell mid-line). */
  midLine: boolean;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})([^\n]*)$/gmu;

/** Scans the delivered text's complete lines for fenced code blocks (CommonMark's rules, simplified). */
export function openFence(text: string): OpenFence | undefined {
  const lastBreak = text.lastIndexOf('\n');
  let open: string | undefined;
  FENCE_LINE.lastIndex = 0;
  for (let m = FENCE_LINE.exec(text); m !== null; m = FENCE_LINE.exec(text)) {
    // A fence line being written (the text's last line, no newline after it) is not a fence yet.
    if (m.index > lastBreak) break;
    const marker = m[1] as string;
    const info = (m[2] ?? '').trim();
    if (open === undefined) {
      if (marker[0] === '`' && info.includes('`')) continue;
      open = marker;
    } else if (marker[0] === open[0] && marker.length >= open.length && info === '') {
      open = undefined;
    }
  }
  if (open === undefined) return undefined;
  // The last line is the closing fence being written ("``", "```"): the block is ending, and
  // a continuation that starts with a fence restates the close, not a reopening.
  const lastLine = text.slice(lastBreak + 1);
  const closing = /^ {0,3}(`+|~+)\s*$/u.exec(lastLine)?.[1];
  if (closing !== undefined && closing[0] === open[0]) return undefined;
  return { marker: open, midLine: lastLine.length > 0 };
}

export type FenceReopen =
  | { kind: 'wait' }
  | { kind: 'none' }
  /** `length`: characters of the continuation the fence line takes; `certain`: see the module comment. */
  | { kind: 'fence'; length: number; certain: boolean };

/**
 * Whether the continuation opens with a fence that reopens `fence`.
 * @param held whitespace held back after the delivered text
 */
export function fenceReopen(
  fence: OpenFence,
  held: string,
  continuation: string,
  final: boolean,
): FenceReopen {
  const lead = /^[ \t\r\n]*/u.exec(continuation)?.[0] ?? '';
  const rest = continuation.slice(lead.length);
  const ch = fence.marker[0] as string;
  let run = 0;
  while (run < rest.length && rest[run] === ch) run++;
  if (run === rest.length && run < 3) return final ? { kind: 'none' } : { kind: 'wait' };
  if (run < 3) return { kind: 'none' };
  const eol = rest.indexOf('\n', run);
  if (eol === -1) return final ? { kind: 'none' } : { kind: 'wait' };
  const info = rest.slice(run, eol).trim();
  if (ch === '`' && info.includes('`')) return { kind: 'none' }; // inline code, not a fence
  const newlineBefore = held.includes('\n') || lead.includes('\n');
  const certain = info !== '' || (fence.midLine && !newlineBefore);
  return { kind: 'fence', length: lead.length + eol + 1, certain };
}
