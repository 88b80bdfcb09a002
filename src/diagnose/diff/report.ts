/**
 * The `lifeline diff` report for people. (`--json` prints the SnapshotDiff itself.)
 */

import { type Paint, PLAIN, pad, wrap } from '../render.js';
import type { SnapshotDiff } from './diff.js';

export function renderDiff(
  diff: SnapshotDiff,
  labels: { a: string; b: string },
  paint: Paint = PLAIN,
): string {
  const out: string[] = [];
  out.push(`${paint.bold('lifeline diff')}  A = ${labels.a} ${paint.dim(`(${diff.a.createdAt})`)}`);
  out.push(`               B = ${labels.b} ${paint.dim(`(${diff.b.createdAt})`)}`);
  out.push('');
  if (diff.differences.length === 0) {
    out.push(paint.green('No differences found.'));
  } else {
    out.push(
      paint.bold(
        `${diff.differences.length} difference(s), most likely cause of a mid-stream failure first`,
      ),
    );
    const keyWidth = Math.min(40, Math.max(...diff.differences.map((d) => d.key.length)));
    for (const d of diff.differences) {
      const risk =
        d.risk >= 80
          ? paint.red(pad(String(d.risk), 3))
          : d.risk >= 50
            ? paint.yellow(pad(String(d.risk), 3))
            : paint.dim(pad(String(d.risk), 3));
      out.push(`  ${risk}  ${paint.cyan(pad(d.key, keyWidth))}  A: ${d.a}  |  B: ${d.b}`);
      out.push(wrap(d.reason, '       ', '       '));
    }
  }
  out.push('', paint.bold('What to do'));
  for (const line of diff.advice) out.push(wrap(line, '     ', '  '));
  return `${out.join('\n')}\n`;
}
