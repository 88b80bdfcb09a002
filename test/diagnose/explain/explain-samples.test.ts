/**
 * The knowledge base against realistic samples: tracebacks and stack traces as the libraries
 * print them (most captured from the real libraries against loopback servers), wrapped lines,
 * JSON log lines, ANSI colour, curly quotes.
 *
 * Layout: test/fixtures/explain/<signature-id>/<variant>.txt must explain to <signature-id> as
 * the top match; every file in test/fixtures/explain-negative/ must not be recognised.
 *
 * Hook for samples captured by other tests (e.g. a real httpx traceback from the interop
 * tests): drop files named `<signature-id>.<anything>.txt` into test/helpers/explain-samples/.
 * They are picked up here and held to the same rule; the directory may be absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explain, SIGNATURES } from '../../../src/diagnose/index.js';

const TEST_DIR = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES_DIR = join(TEST_DIR, 'fixtures', 'explain');
const NEGATIVES_DIR = join(TEST_DIR, 'fixtures', 'explain-negative');
const HOOK_DIR = join(TEST_DIR, 'helpers', 'explain-samples');

interface Sample {
  readonly expected: string;
  readonly name: string;
  readonly text: string;
}

function fixtureSamples(): Sample[] {
  const out: Sample[] = [];
  for (const id of readdirSync(SAMPLES_DIR).sort()) {
    for (const file of readdirSync(join(SAMPLES_DIR, id)).sort()) {
      out.push({
        expected: id,
        name: `${id}/${file}`,
        text: readFileSync(join(SAMPLES_DIR, id, file), 'utf8'),
      });
    }
  }
  return out;
}

function hookSamples(): Sample[] {
  if (!existsSync(HOOK_DIR)) return [];
  return readdirSync(HOOK_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => ({
      expected: file.split('.')[0] ?? '',
      name: `helpers/explain-samples/${file}`,
      text: readFileSync(join(HOOK_DIR, file), 'utf8'),
    }));
}

const samples = [...fixtureSamples(), ...hookSamples()];

describe('explain: realistic samples', () => {
  it.each(samples.map((s) => [s.name, s] as const))(
    '%s explains to its signature',
    (_name, sample) => {
      const result = explain(sample.text);
      expect(result.recognised).toBe(true);
      expect(result.matches[0]?.signature.id).toBe(sample.expected);
    },
  );

  it('every signature has at least one sample', () => {
    const covered = new Set(samples.map((s) => s.expected));
    const missing = SIGNATURES.map((s) => s.id).filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it('every sample directory names a real signature', () => {
    const ids = new Set(SIGNATURES.map((s) => s.id));
    const unknown = [...new Set(samples.map((s) => s.expected))].filter((id) => !ids.has(id));
    expect(unknown).toEqual([]);
  });
});

describe('explain: unrelated text', () => {
  const negatives = readdirSync(NEGATIVES_DIR)
    .sort()
    .map((file) => [file, readFileSync(join(NEGATIVES_DIR, file), 'utf8')] as const);

  it.each(negatives)('%s is not recognised and gets the 3 closest signatures', (_file, text) => {
    const result = explain(text);
    expect(result.recognised).toBe(false);
    expect(result.matches).toEqual([]);
    expect(result.closest).toHaveLength(3);
    for (const m of result.closest) expect(m.level).toBe('low');
  });
});
