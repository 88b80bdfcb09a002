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
