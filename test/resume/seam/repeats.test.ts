/**
 * Text that repeats itself at the seam: a model that restated and a text that goes on repeating
 * give the same characters, so the number of repetitions cannot be told. The seam still removes
 * what it takes for a restatement, but it must not call that decision high confidence: a
 * decision that may be wrong is reported as unsure (report, `lifeline_seams_total`), never as
 * sure.
 */
import { describe, expect, it } from 'vitest';
import { decideSeam, seamContext } from '../../../src/resume/seam/index.js';

/** Splits `text` at `cut` as the splicer does: delivered text, held whitespace, the rest. */
function seamAt(text: string, cut: number) {
  const head = text.slice(0, cut);
  const held = /\s*$/.exec(head)?.[0] ?? '';
  const previous = head.slice(0, head.length - held.length);
  const decision = decideSeam(seamContext(previous, held, 'continuation'), text.slice(cut), true);
  if (decision === undefined) throw new Error('a final continuation always decides');
  return { exact: previous + decision.text === text, decision };
}

describe('a seam inside repeating text', () => {
  // A run of one word, as a degenerate generator writes (the proxy benchmark's text did).
  const runs = `${'token '.repeat(3)}${'stream '.repeat(60)}block delta event.`;
  // Rows of a table, each written the same.
  const table = `| a | b |\n|---|---|\n${'| 0 | 0 |\n'.repeat(30)}| 1 | 2 |\n`;

  // Before the text has shown that it repeats (a cut inside the table's first data row), nothing
  // tells a repeat from a restatement and the rules' prior holds (text seldom repeats itself
  // at once); from the first repetition on, the delivered text is the evidence.
  for (const [name, text, from] of [
    ['a run of one word', runs, 1],
    ['identical table rows', table, table.indexOf('| 0 | 0 |\n') + 10],
  ] as const) {
    it(`${name}: every cut after the first repetition is joined exactly or reported as low confidence`, () => {
      let wrong = 0;
      for (let cut = from; cut < text.length - 1; cut++) {
        const { exact, decision } = seamAt(text, cut);
        if (!exact) {
          wrong++;
          expect({ cut, confidence: decision.confidence }).toStrictEqual({
            cut,
            confidence: 'low',
          });
        }
      }
      // The repetition really is ambiguous: some cuts are joined with the wrong count.
      expect(wrong).toBeGreaterThan(0);
    });
  }

  it('a restatement of text that does not repeat keeps its confidence', () => {
    const ctx = seamContext('The deployment finished and the service', ' ', 'continuation');
    expect(decideSeam(ctx, 'and the service came back up.', true)).toMatchObject({
      text: ' came back up.',
      confidence: 'high',
    });
  });

  it('a restated word repeated with whitespace between ("no no", "stream stream") is low confidence', () => {
    // "He said no no" + "no no, never." may be "no no, never." or "no no no no, never.".
    const cases: Array<[string, string, string]> = [
      ['He said no no', '', 'no no, never.'],
      ['The log showed stream stream', ' ', 'stream stream block.'],
      ['Columns: 0\t0', '\t', '0\t0\t1'],
      ['Rows:\n| 0 |\r\n| 0 |', '\r\n', '| 0 |\r\n| 0 |\r\n| 1 |'],
    ];
    for (const [previous, held, continuation] of cases) {
      const ctx = seamContext(previous, held, 'continuation');
      expect(decideSeam(ctx, continuation, true), previous).toMatchObject({ confidence: 'low' });
    }
  });

  it('a restated word that only starts with a run of one letter ("oooh") is no repetition', () => {
    const ctx = seamContext('She said oooh', '', 'continuation');
    expect(decideSeam(ctx, 'oooh, nice.', true)).toMatchObject({
      text: ', nice.',
      confidence: 'medium',
    });
  });

  it('a restated run of one piece ("haha") is low confidence', () => {
    const ctx = seamContext('She laughed: haha', '', 'continuation');
    expect(decideSeam(ctx, 'haha, then left.', true)).toMatchObject({
      text: ', then left.',
      confidence: 'low',
    });
  });

  it('a restatement the delivered text already holds twice in a row is low confidence', () => {
    // Separated by a space, a tab, a line break, a CRLF; at the start of the text or later.
    for (const previous of [
      'go team go team',
      'Chant: go team\tgo team',
      'Chant:\ngo team\ngo team',
      'Chant:\r\ngo team\r\ngo team',
    ]) {
      const ctx = seamContext(previous, ' ', 'continuation');
      expect(decideSeam(ctx, 'go team won.', true), JSON.stringify(previous)).toMatchObject({
        text: ' won.',
        confidence: 'low',
      });
    }
  });

  it('the same words twice, not in a row, are no repetition: the restatement stays confident', () => {
    const ctx = seamContext('go team, they said; go team', ' ', 'continuation');
    expect(decideSeam(ctx, 'go team won.', true)).toMatchObject({
      text: ' won.',
      confidence: 'high',
    });
    // Two different words are no repetition either.
    const two = seamContext('We said a b', ' ', 'continuation');
    expect(decideSeam(two, 'a b c.', true)).toMatchObject({ text: ' c.', confidence: 'high' });
  });

  it('a restated phrase that comes again right after it is low confidence', () => {
    const ctx = seamContext('Say it twice: go team', ' ', 'continuation');
    expect(decideSeam(ctx, 'go team go team!', true)).toMatchObject({ confidence: 'low' });
  });
});
