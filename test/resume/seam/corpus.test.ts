import { describe, expect, it } from 'vitest';
import { CORPUS, type Family } from './corpus.js';
import { join } from './join.js';

const families = [...new Set(CORPUS.map((c) => c.family))] as Family[];

describe('seam corpus', () => {
  it('holds at least 150 cases across every family', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CORPUS.map((c) => `${c.family}/${c.name}`)).size).toBe(CORPUS.length);
  });

  for (const family of families) {
    describe(family, () => {
      for (const c of CORPUS.filter((x) => x.family === family)) {
        it(c.name, () => {
          // The whole continuation at once, and streamed in small deltas: the seam decides as
          // early as it can, and must decide the same.
          expect(join(c.partial, c.continuation).text).toBe(c.expected);
          for (const chunk of [1, 3, 7]) {
            expect(join(c.partial, c.continuation, { chunk }).text, `deltas of ${chunk}`).toBe(
              c.expected,
            );
          }
        });
      }
    });
  }
});

describe('seam: restatements longer than any window', () => {
  const sentence = (i: number) => `Sentence number ${i} explains step ${i * 7} of the migration. `;
  const text = Array.from({ length: 160 }, (_, i) => sentence(i)).join('');
  const cut = Math.floor(text.length * 0.8) + 3; // mid-word, past 6,000 characters
  const partial = text.slice(0, cut);
  const rest = text.slice(cut);

  it('a continuation restating the whole partial text (over 6,000 characters)', () => {
    expect(partial.length).toBeGreaterThan(6_000);
    for (const chunk of [8, 1000]) {
      expect(join(partial, partial + rest, { chunk }).text).toBe(text);
    }
  });

  it('a continuation restating its last 3,000 characters from a sentence start', () => {
    const from = partial.indexOf('Sentence', partial.length - 3_000);
    const restated = partial.slice(from);
    expect(restated.length).toBeGreaterThan(2_000);
    expect(join(partial, restated + rest, { chunk: 16 }).text).toBe(text);
  });
});
