#!/usr/bin/env node
// @ts-check
/**
 * The per-module score table of one or more StrykerJS JSON reports (mutation-testing-report-schema),
 * as Markdown: `node scripts/mutation-table.mjs reports/mutation-*\/mutation.json`. When two
 * reports hold the same file, the one given later wins (give the newest last). Score: killed and
 * timed out over killed, timed out, survived and no coverage (Stryker's "mutation score"); ignored,
 * compile-error and runtime-error mutants are not scored. `--min 85` exits 1 if a module is below.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { min: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help || positionals.length === 0) {
  console.log(
    'usage: node scripts/mutation-table.mjs [--min PERCENT] REPORT.json [REPORT.json ...]',
  );
  process.exit(values.help ? 0 : 2);
}
const min = values.min === undefined ? undefined : Number(values.min);
if (min !== undefined && !Number.isFinite(min)) {
  console.error(`--min: not a number: ${values.min}`);
  process.exit(2);
}

/** @type {Map<string, { counts: Record<string, number>, report: string }>} */
const files = new Map();
for (const report of positionals) {
  /** @type {{ files: Record<string, { mutants: { status: string }[] }> }} */
  let json;
  try {
    json = JSON.parse(readFileSync(report, 'utf8'));
  } catch (err) {
    console.error(`${report}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  for (const [path, file] of Object.entries(json.files)) {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const m of file.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
    files.set(relative(process.cwd(), path), { counts, report });
  }
}

const rows = [...files].sort(([a], [b]) => a.localeCompare(b));
console.log('| module | score | scored: killed / timed out / survived / no coverage | ignored |');
console.log('|---|---|---|---|');
let below = 0;
let all = { killed: 0, scored: 0 };
for (const [path, { counts }] of rows) {
  const c = (/** @type {string} */ s) => counts[s] ?? 0;
  const detected = c('Killed') + c('Timeout');
  const scored = detected + c('Survived') + c('NoCoverage');
  all = { killed: all.killed + detected, scored: all.scored + scored };
  const score = scored === 0 ? 100 : (100 * detected) / scored;
  if (min !== undefined && score < min) below++;
  const mark = min !== undefined && score < min ? ' (below)' : '';
  console.log(
    `| ${path}${mark} | ${score.toFixed(1)}% | ${scored}: ${c('Killed')} / ${c('Timeout')} / ${c('Survived')} / ${c('NoCoverage')} | ${c('Ignored')} |`,
  );
}
const total = all.scored === 0 ? 100 : (100 * all.killed) / all.scored;
console.log(`| **all** | ${total.toFixed(1)}% | ${all.scored} | |`);
if (below > 0) {
  console.error(`${below} module(s) below ${min}%`);
  process.exit(1);
}
