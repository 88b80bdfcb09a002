/**
 * The text `lifeline verify` prints: one line per run (pass/fail, what recovery it took, how
 * long), then the verdict with the timings. Plain text, meant for a terminal or a ticket.
 */
import { escapeVisible } from './seam-audit.js';
import type { SeamAudit } from './seams.js';
import type { VerifyResult, VerifyRun } from './verify.js';

/** Shown between the two sides of a seam. */
export const SEAM_MARK = '‖';

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `socket x3, eof`: a list with runs of the same item counted. */
function counted(items: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i;
    while (j < items.length && items[j] === items[i]) j++;
    out.push(j - i > 1 ? `${items[i]} x${j - i}` : items[i]!);
    i = j;
  }
  return out.join(', ');
}

function where(run: VerifyRun): string {
  const cut = run.cut;
  if (cut === undefined) return 'cut: none (no attempt streamed)';
  if (!cut.cut) return `cut: none: ${cut.note ?? cut.where}`;
  const choice =
    cut.candidates !== undefined ? ` (chosen among ${plural(cut.candidates, 'text delta')})` : '';
  const head = `cut: after event ${cut.event} of attempt ${cut.attempt}${choice}`;
  switch (cut.where) {
    case 'text':
      return `${head}, inside text block ${cut.blockIndex} (${cut.partialChars ?? 0} chars delivered)`;
    case 'tool-input':
      return `${head}, inside the input of ${cut.blockType} block ${cut.blockIndex}: no text seam there`;
    case 'thinking':
      return `${head}, inside ${cut.blockType} block ${cut.blockIndex}: no text seam there`;
    case 'block':
      return `${head}, inside ${cut.blockType} block ${cut.blockIndex}: no text seam there`;
    case 'between-blocks':
      return `${head}, between blocks: a seam only if the continuation opens a text block`;
    default:
      return `${head}, after the content: no text seam there`;
  }
}

function seamLines(seam: SeamAudit, n: number): string[] {
  const how =
    seam.source === 'report'
      ? `rule ${seam.rule}, trimmed ${plural(seam.trimmed ?? 0, 'char')}, confidence ${seam.confidence}` +
        ((seam.removed?.length ?? 0) > 0 ? `, removed ${seam.removed!.join('+')}` : '')
      : 'not in the report: placed at the cut';
  const at =
    seam.offset > 0
      ? `block ${seam.blockIndex} at char ${seam.offset}`
      : `new block ${seam.blockIndex} after the previous text`;
  const lines = [`seam ${n}: ${at} (attempt ${seam.attempt}): ${how}`];
  if (seam.note !== undefined) lines.push(`  note: ${seam.note}`);
  lines.push(`  "${escapeVisible(seam.before)}${SEAM_MARK}${escapeVisible(seam.after)}"`);
  if (seam.flags.length === 0) lines.push('  flags: none');
  for (const flag of seam.flags) lines.push(`  SUSPICIOUS ${flag.kind}: ${flag.detail}`);
  return lines;
}

/** The seam audit's lines for one run: the cut, each seam, the final text. */
export function formatAudit(run: VerifyRun): string[] {
  const lines = [where(run)];
  (run.seams ?? []).forEach((seam, i) => {
    lines.push(...seamLines(seam, i + 1));
  });
  if (run.cut?.cut === true && (run.seams ?? []).length === 0) {
    lines.push('seams: none in the final text');
  }
  const text = run.text;
  if (text !== undefined) {
    lines.push(
      `text: ${plural(text.chars, 'char')}, ${text.completed ? `completed (${text.stopReason})` : 'did not complete'}`,
    );
  }
  return lines;
}

/** `run 3/10: pass, recovered (socket -> continue), 2 attempts, 812 ms`. */
export function formatVerifyRun(run: VerifyRun, total: number): string {
  const recovery =
    run.failures.length === 0
      ? run.outcome
      : `${run.outcome} (${counted(run.failures)} -> ${counted(run.strategies) || 'none'})`;
  const line =
    `run ${run.run}/${total}: ${run.pass ? 'pass' : 'FAIL'}, ${recovery}, ` +
    `${plural(run.attempts, 'attempt')}, ${ms(run.ms)}`;
  const more = [
    ...(run.reason === undefined ? [] : [`why: ${run.reason}`]),
    ...(run.seams === undefined ? [] : formatAudit(run)),
  ];
  return [line, ...more.map((l) => `  ${l}`)].join('\n');
}

export function formatVerify(result: VerifyResult, options: { runLines?: boolean } = {}): string {
  const lines: string[] = [];
  const t = result.target;
  const what =
    t.kind === 'scenario'
      ? `scenario ${t.name} (${t.model}) on an in-process mock`
      : `request for ${t.model} to ${t.upstream}`;
  lines.push(`lifeline verify: ${what}, ${plural(result.runs.length, 'run')}`);
  if (t.faults !== undefined) lines.push(`  faults: ${JSON.stringify(t.faults)}`);
  const audit = result.audit;
  if (audit !== undefined) {
    const cut = audit.cut === 'random' ? `random, seed ${audit.seed}` : `after event ${audit.cut}`;
    const tail =
      audit.instructionTail !== undefined ? `, instruction tail ${audit.instructionTail}` : '';
    lines.push(`  seam audit: lifeline cuts each run (${cut}); seam ${audit.seam}${tail}`);
  }
  if (options.runLines !== false) {
    for (const run of result.runs) {
      lines.push(
        formatVerifyRun(run, result.runs.length)
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
      );
    }
  }
  const strategies = Object.entries(result.recoveries.strategies)
    .map(([name, n]) => (n > 1 ? `${name} x${n}` : name))
    .join(', ');
  lines.push(
    `Recoveries: ${result.recoveries.runs} of ${plural(result.runs.length, 'run')} needed one` +
      (strategies !== '' ? ` (${strategies})` : '') +
      `; ${plural(result.recoveries.attempts, 'attempt')} in all.`,
  );
  lines.push(
    `Timings: p50 ${ms(result.timings.p50Ms)}, max ${ms(result.timings.maxMs)} (min ${ms(result.timings.minMs)}).`,
  );
  if (audit !== undefined) {
    lines.push(
      `Seams: ${audit.seams} in ${plural(audit.cutRuns, 'cut run')}; ${audit.suspicious} suspicious.`,
    );
  }
  lines.push(
    result.failed === 0
      ? `PASS: all ${plural(result.runs.length, 'run')} completed through lifeline.`
      : `FAIL: ${result.failed} of ${plural(result.runs.length, 'run')} did not complete.`,
  );
  if (audit !== undefined && audit.suspicious > 0) {
    lines.push(
      `SUSPICIOUS: ${audit.suspicious} of ${plural(audit.seams, 'seam')} flagged; read them above.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
