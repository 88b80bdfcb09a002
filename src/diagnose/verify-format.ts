/**
 * The text `lifeline verify` prints: one line per run (pass/fail, what recovery it took, how
 * long), then the verdict with the timings. Plain text, meant for a terminal or a ticket.
 */
import type { VerifyResult, VerifyRun } from './verify.js';

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

/** `run 3/10: pass, recovered (socket -> continue), 2 attempts, 812 ms`. */
export function formatVerifyRun(run: VerifyRun, total: number): string {
  const recovery =
    run.failures.length === 0
      ? run.outcome
      : `${run.outcome} (${counted(run.failures)} -> ${counted(run.strategies) || 'none'})`;
  const line =
    `run ${run.run}/${total}: ${run.pass ? 'pass' : 'FAIL'}, ${recovery}, ` +
    `${plural(run.attempts, 'attempt')}, ${ms(run.ms)}`;
  return run.reason === undefined ? line : `${line}\n  why: ${run.reason}`;
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
  if (options.runLines !== false) {
    for (const run of result.runs) lines.push(`  ${formatVerifyRun(run, result.runs.length)}`);
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
  lines.push(
    result.failed === 0
      ? `PASS: all ${plural(result.runs.length, 'run')} completed through lifeline.`
      : `FAIL: ${result.failed} of ${plural(result.runs.length, 'run')} did not complete.`,
  );
  return `${lines.join('\n')}\n`;
}
