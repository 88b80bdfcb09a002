/**
 * How `lifeline explain` shows its result: a report for people, and a JSON document
 * (schema `lifeline.explain/1`) for scripts.
 */

import { type Paint, PLAIN, pad, wrap } from '../render.js';
import type { ExplainResult, SignatureMatch } from './explain.js';
import type { Recovery } from './signature.js';
import { SIGNATURES } from './signatures.js';

export const EXPLAIN_SCHEMA = 'lifeline.explain/1';

export interface ExplainMatchJson {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  readonly score: number;
  readonly points: number;
  readonly similarity: number;
  readonly confidence: number;
  readonly level: string;
  readonly evidence: readonly string[];
  readonly meaning: string;
  readonly likelyCauses: readonly string[];
  readonly fixes: readonly string[];
  readonly lifelineRecovers: Recovery;
  readonly recoveryNote: string;
  readonly docs: readonly string[];
}

export interface ExplainJson {
  readonly schema: typeof EXPLAIN_SCHEMA;
  readonly recognised: boolean;
  readonly truncated: boolean;
  /** The top match, or null when nothing is recognised. */
  readonly best: ExplainMatchJson | null;
  readonly matches: readonly ExplainMatchJson[];
  readonly closest: readonly ExplainMatchJson[];
}

export function explainToJson(result: ExplainResult): ExplainJson {
  const matches = result.matches.map(matchToJson);
  return {
    schema: EXPLAIN_SCHEMA,
    recognised: result.recognised,
    truncated: result.truncated,
    best: matches[0] ?? null,
    matches,
    closest: result.closest.map(matchToJson),
  };
}

function matchToJson(m: SignatureMatch): ExplainMatchJson {
  const s = m.signature;
  return {
    id: s.id,
    title: s.title,
    category: s.category,
    score: m.score,
    points: m.points,
    similarity: m.similarity,
    confidence: m.confidence,
    level: m.level,
    evidence: m.evidence,
    meaning: s.meaning,
    likelyCauses: s.likelyCauses,
    fixes: s.fixes,
    lifelineRecovers: s.lifelineRecovers,
    recoveryNote: s.recoveryNote,
    docs: s.docs,
  };
}

/** Other recognised signatures listed under the best one. */
const MAX_ALSO = 4;

export function renderExplain(result: ExplainResult, paint: Paint = PLAIN): string {
  const out: string[] = [];
  if (result.truncated) {
    out.push(paint.dim('(input was long: only its last part was read)'), '');
  }
  const best = result.matches[0];
  if (best === undefined) return renderUnrecognised(result, paint, out);

  const s = best.signature;
  out.push(`${paint.bold('Recognised:')} ${paint.bold(s.title)}`);
  out.push(
    `  signature   ${paint.cyan(s.id)}  ${paint.dim(`(confidence ${best.level}, ${best.confidence.toFixed(2)}; score ${best.score})`)}`,
  );
  out.push(`  category    ${s.category}`);
  out.push(
    wrap(
      best.evidence.map((e) => JSON.stringify(e)).join(', '),
      '              ',
      '  evidence    ',
    ),
  );
  out.push('', paint.bold('What it means'), wrap(s.meaning, '  '));
  out.push('', paint.bold('Likely causes'));
  for (const cause of s.likelyCauses) out.push(wrap(cause, '    ', '  - '));
  out.push('', paint.bold('Fixes, in order'));
  s.fixes.forEach((fix, i) => {
    out.push(wrap(fix, '     ', `  ${i + 1}. `));
  });
  out.push('', `${paint.bold('Does lifeline recover it?')} ${recovery(s.lifelineRecovers, paint)}`);
  out.push(wrap(s.recoveryNote, '  '));
  out.push('', wrap(s.docs.join('; '), '  ', `${paint.bold('Docs:')} `));

  const also = result.matches.slice(1, 1 + MAX_ALSO);
  if (also.length > 0) {
    out.push('', paint.bold('Also matched'));
    const width = Math.max(...also.map((m) => m.signature.id.length));
    for (const m of also) {
      out.push(
        `  ${paint.cyan(pad(m.signature.id, width))}  ${m.signature.title} ${paint.dim(`(score ${m.score}, ${m.level})`)}`,
      );
    }
    if (best.signature.generic !== true && also.some((m) => m.signature.generic === true)) {
      out.push(
        paint.dim('  (generic wrappers such as "fetch failed" rank below the cause they wrap)'),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function renderUnrecognised(result: ExplainResult, paint: Paint, out: string[]): string {
  out.push(
    `${paint.yellow(paint.bold('Not recognised:'))} this text matches none of the ${SIGNATURES.length} known error signatures.`,
  );
  if (result.closest.length > 0) {
    out.push('', paint.bold('Closest signatures (none is a match)'));
    const width = Math.max(...result.closest.map((m) => m.signature.id.length));
    result.closest.forEach((m, i) => {
      const why = `score ${m.score}; ${Math.round(m.similarity * 100)}% of its key words present`;
      out.push(
        `  ${i + 1}. ${paint.cyan(pad(m.signature.id, width))}  ${m.signature.title} ${paint.dim(`(${why})`)}`,
      );
    });
  }
  out.push(
    '',
    wrap(
      'Paste the whole error: the full traceback or stack trace, including any "[cause]" or "The above exception was the direct cause" part. To check the environment instead, run `lifeline doctor`.',
      '',
    ),
  );
  return `${out.join('\n')}\n`;
}

function recovery(value: Recovery, paint: Paint): string {
  if (value === 'yes') return paint.green('yes');
  if (value === 'partly') return paint.yellow('partly');
  return paint.red('no');
}
