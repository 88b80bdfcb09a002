/**
 * The restatement rules (src/resume/seam/rules.ts) as a table: where a restatement may start
 * (`boundaryAt`), and for each rule of the ambiguity policy, a candidate it takes and one it
 * leaves (`judge`), then whether the seam waits for a candidate (`couldTake`). The corpus tests
 * judge whole seams; these pin each rule on its own.
 */
import { describe, expect, it } from 'vitest';
import {
  type Boundary,
  boundaryAt,
  couldTake,
  type Judged,
  judge,
} from '../../../src/resume/seam/rules.js';
import { join } from './join.js';

describe('boundaryAt', () => {
  const cases: Array<[string, string, number, Boundary | undefined]> = [
    ['the start of the text', 'Migration', 0, 'all'],
    ['a line start', 'one\ntwo', 4, 'line'],
    ['a line start at its indentation', 'one\n  two', 4, 'line'],
    ['after a space', 'incremental synchronis', 12, 'word'],
    ['after a tab', 'a\tb', 2, 'word'],
    ['a word after punctuation', 'call `getUs', 6, 'fragment'],
    ['a word after a dot', 'obj.getUs', 4, 'fragment'],
    ['an opening quote inside a token', 'truncate("ab', 9, 'fragment'],
    ['not a quote with no word after it', 'x(".', 2, undefined],
    ['a script without spaces', '日本語のテキス', 4, 'chars'],
    ['Latin after a script without spaces', '日本a', 2, 'chars'],
    ['a script without spaces after punctuation', '。日本', 1, 'fragment'],
    ['not inside a word', 'synchronis', 3, undefined],
    ['not at whitespace inside a line', 'a  b', 2, undefined],
    ['not at punctuation after a word', 'ab.c', 2, undefined],
    ['not at punctuation after punctuation', 'a.,', 2, undefined],
    ['not inside a surrogate pair', 'a 🎉', 3, undefined],
    ['at a surrogate pair after a space', 'a 🎉', 2, 'word'],
    ['not before a combining mark', 'cafe\u0301', 4, undefined],
    ['not before a variation selector', 'a \u2764\ufe0f', 3, undefined],
    ['not before a zero-width joiner', 'a 👩\u200d💻', 4, undefined],
  ];
  it.each(cases)('%s', (_name, text, i, expected) => {
    expect(boundaryAt(text, i)).toBe(expected);
  });
});

const base: Judged = {
  boundary: 'word',
  text: '',
  next: ' ',
  following: ' ',
  leadingWs: '',
  held: '',
};
const j = (over: Partial<Judged>) => judge({ ...base, ...over });
const take = (rule: string, confidence: string) => ({ take: true, rule, confidence });
const NO = { take: false };
const WAIT = { take: 'need-next' };

describe('judge: rule 1, two or more words', () => {
  it('takes them at any boundary, with high confidence', () => {
    expect(j({ text: 'item two', boundary: 'word' })).toEqual(take('words', 'high'));
    expect(j({ text: 'getUs now', boundary: 'fragment' })).toEqual(take('words', 'high'));
    expect(j({ text: '- item tw', boundary: 'line' })).toEqual(take('line', 'high'));
    expect(j({ text: 'Migration plan', boundary: 'all' })).toEqual(take('all', 'high'));
    expect(j({ text: '日本 語', boundary: 'chars' })).toEqual(take('chars', 'high'));
  });

  it('takes them whatever comes next, even a letter', () => {
    expect(j({ text: 'the cat', next: 's' })).toEqual(take('words', 'high'));
    expect(j({ text: 'the cat', next: undefined })).toEqual(take('words', 'high'));
  });
});

describe('judge: rule 2, one word restarted without whitespace', () => {
  it('takes a word of two or more letters, more confident the longer it is', () => {
    expect(j({ text: 'synchronis', next: 'a' })).toEqual(take('word', 'high'));
    expect(j({ text: 'mur', next: 'm' })).toEqual(take('word', 'medium'));
    expect(j({ text: 'no', next: 'n' })).toEqual(take('word', 'low'));
    expect(j({ text: 'getUs', boundary: 'fragment', next: 'e' })).toEqual(
      take('fragment', 'medium'),
    );
    expect(j({ text: 'Migrat', boundary: 'all', next: 'i' })).toEqual(take('all', 'high'));
    expect(j({ text: 'tw', boundary: 'line', next: 'o' })).toEqual(take('line', 'low'));
  });

  it('counts visible characters for confidence, letters for the rule', () => {
    // Two letters and four digits: six visible.
    expect(j({ text: 'ab1234', next: '5' })).toEqual(take('word', 'high'));
    expect(j({ text: 'ab1', next: '5' })).toEqual(take('word', 'medium'));
  });
});

describe('judge: one letter', () => {
  it('does not wait for the next character: one letter is taken whatever follows', () => {
    expect(j({ text: 'a', next: undefined })).toEqual(take('word', 'low'));
  });

  it('takes it when the continuation then leaves the word', () => {
    expect(j({ text: 'a', next: ' ' })).toEqual(take('word', 'low'));
    expect(j({ text: 'I', next: "'" })).toEqual(take('word', 'low'));
    expect(j({ text: 'a', next: '' })).toEqual(take('word', 'low'));
  });

  it('takes it when the continuation goes on with the word: a restart ("s" + "shared"; "a" + "ardvark" is the known ambiguity)', () => {
    expect(j({ text: 's', next: 'h' })).toEqual(take('word', 'low'));
    expect(j({ text: 'a', next: 'r' })).toEqual(take('word', 'low'));
    expect(j({ text: 'a', next: '_' })).toEqual(take('word', 'low'));
  });

  it('takes one letter with three more visible characters whatever follows', () => {
    expect(j({ text: 'x123', next: 'y' })).toEqual(take('word', 'medium'));
    expect(j({ text: 'x12', next: 'y' })).toEqual(take('word', 'low'));
  });
});

describe('judge: rule 3, digits and punctuation alone', () => {
  it('leaves a short token the stream had no whitespace after ("1" + "1.5")', () => {
    expect(j({ text: '1', next: '.' })).toEqual(NO);
    expect(j({ text: '==', next: '=' })).toEqual(NO);
    expect(j({ text: '123', next: ' ' })).toEqual(NO);
  });

  it('takes it when the stream had whitespace after it (held back)', () => {
    expect(j({ text: '1', next: '.', held: ' ' })).toEqual(take('word', 'low'));
    expect(j({ text: '}', boundary: 'line', next: '\n', held: '\n' })).toEqual(take('line', 'low'));
  });

  it('takes four or more characters', () => {
    expect(j({ text: '1234', next: '5' })).toEqual(take('word', 'medium'));
    expect(j({ text: '====', boundary: 'fragment', next: '=' })).toEqual(
      take('fragment', 'medium'),
    );
  });
});

describe('judge: rule 3, numbers', () => {
  it('takes a number restarted with more digits ("80" + "804 ms")', () => {
    expect(j({ text: '80', next: '4', following: '4 ms' })).toEqual(take('word', 'low'));
    expect(j({ text: '4', boundary: 'fragment', next: '2', following: '2 do' })).toEqual(
      take('fragment', 'low'),
    );
  });

  it('leaves the same number again ("80" + "80 is open" may be 8080)', () => {
    expect(j({ text: '80', next: ' ', following: ' is ' })).toEqual(NO);
  });

  it('waits for what follows a number, and leaves it when nothing does', () => {
    expect(j({ text: '80', next: undefined, following: '' })).toEqual(WAIT);
    expect(j({ text: '80', next: '', following: '', final: true })).toEqual(NO);
  });

  it('takes a numbered list item restated at a line start ("3" + "3. Next")', () => {
    expect(j({ text: '3', boundary: 'line', next: '.', following: '. Ne' })).toEqual(
      take('line', 'medium'),
    );
    expect(j({ text: '12', boundary: 'line', next: ')', following: ')\tx' })).toEqual(
      take('line', 'medium'),
    );
  });

  it('waits after "3." at a line start: "3. Next" is an item, "3.5" a number', () => {
    expect(j({ text: '3', boundary: 'line', next: '.', following: '.' })).toEqual(WAIT);
    expect(j({ text: '3', boundary: 'line', next: '.', following: '.', final: true })).toEqual(NO);
    expect(j({ text: '3', boundary: 'line', next: '.', following: '.5 x' })).toEqual(NO);
  });

  it('leaves a list marker not at a line start, or not followed by a dot or parenthesis', () => {
    expect(j({ text: '3', boundary: 'word', next: '.', following: '. N' })).toEqual(NO);
    expect(j({ text: '3', boundary: 'line', next: '-', following: '- x' })).toEqual(NO);
  });

  it('counts four digits as a token long enough to take', () => {
    expect(j({ text: '1234', next: '5', following: '5' })).toEqual(take('word', 'medium'));
  });
});

describe('judge: rule 3, markdown marks at a line start', () => {
  it('takes marks followed by a space or a tab', () => {
    for (const mark of ['#', '##', '######', '-', '>', '*', '+', '|']) {
      expect(j({ text: mark, boundary: 'line', following: ' Title' })).toEqual(
        take('line', 'medium'),
      );
    }
    expect(j({ text: '-', boundary: 'line', following: '\titem' })).toEqual(take('line', 'medium'));
  });

  it('waits when nothing follows yet', () => {
    expect(j({ text: '##', boundary: 'line', following: '', next: undefined })).toEqual(WAIT);
  });

  it('leaves marks glued to what follows, and marks not at a line start', () => {
    expect(j({ text: '##', boundary: 'line', following: '#x', next: '#' })).toEqual(NO);
    expect(j({ text: '-', boundary: 'line', following: '-', next: '-' })).toEqual(NO);
    expect(j({ text: '##', boundary: 'word', following: ' Title' })).toEqual(NO);
    expect(j({ text: '##', boundary: 'line', following: '', next: '' })).toEqual(NO);
  });
});

describe('judge: rule 3, a code fence opener cut short', () => {
  it('takes it when with what follows it still makes a fence', () => {
    expect(j({ text: '``', boundary: 'line', following: '`pyt', next: '`' })).toEqual(
      take('line', 'medium'),
    );
    expect(j({ text: '`', boundary: 'line', following: '``py', next: '`' })).toEqual(
      take('line', 'medium'),
    );
    expect(j({ text: '```', boundary: 'line', following: 'py', next: 'p' })).toEqual(
      take('line', 'medium'),
    );
    expect(j({ text: '~~', boundary: 'line', following: '~', next: '~' })).toEqual(
      take('line', 'medium'),
    );
  });

  it("waits while the continuation's own run of backticks may still grow", () => {
    expect(j({ text: '`', boundary: 'line', following: '`', next: '`' })).toEqual(WAIT);
    expect(j({ text: '``', boundary: 'line', following: '', next: undefined })).toEqual(WAIT);
  });

  it('leaves it when the run stays short of a fence ("`" + "``python" is its rest)', () => {
    expect(j({ text: '`', boundary: 'line', following: '`p', next: '`' })).toEqual(NO);
    expect(j({ text: '``', boundary: 'line', following: 'py', next: 'p' })).toEqual(NO);
    expect(j({ text: '`', boundary: 'line', following: '`', next: '`', final: true })).toEqual(NO);
  });

  it('leaves a fence not at a line start, and mixed fence characters', () => {
    expect(j({ text: '``', boundary: 'word', following: '`py', next: '`' })).toEqual(NO);
    expect(j({ text: '`~', boundary: 'line', following: '~~', next: '~' })).toEqual(NO);
  });
});

describe('judge: rule 4, scripts without spaces', () => {
  it('takes three or more characters, with high confidence from six', () => {
    expect(j({ text: 'テキス', boundary: 'chars', next: 'ト' })).toEqual(take('chars', 'medium'));
    expect(j({ text: '日本語のテキ', boundary: 'chars', next: 'ス' })).toEqual(
      take('chars', 'high'),
    );
    expect(j({ text: '日本語', boundary: 'all', next: 'の' })).toEqual(take('all', 'medium'));
  });

  it('leaves one or two: reduplication is ordinary (看看, 研究研究)', () => {
    expect(j({ text: '看', boundary: 'chars', next: '看' })).toEqual(NO);
    expect(j({ text: '研究', boundary: 'chars', next: '研' })).toEqual(NO);
    // After punctuation inside the run too ("。看" + "看看").
    expect(j({ text: '研究', boundary: 'fragment', next: '研' })).toEqual(NO);
  });

  it('takes one or two from a line start or after whitespace, with low confidence', () => {
    expect(j({ text: '看', boundary: 'word', next: '看' })).toEqual(take('chars', 'low'));
    expect(j({ text: '研究', boundary: 'line', next: '所' })).toEqual(take('chars', 'low'));
  });

  it('judges a paragraph without spaces longer than 64 characters on its first 64', () => {
    const long = '日本語のテキストです'.repeat(30);
    expect(j({ text: long, boundary: 'chars', next: '。' })).toEqual(take('chars', 'high'));
  });
});

describe('judge: rule 5, whitespace before the repeat', () => {
  it('leaves one word: a model writing a space first is appending ("had" + " had")', () => {
    expect(j({ text: 'had', leadingWs: ' ', next: ' ' })).toEqual(NO);
    expect(j({ text: 'synchronis', leadingWs: ' ', next: 'a' })).toEqual(NO);
  });

  it('takes two or more words', () => {
    expect(j({ text: 'the cat', leadingWs: ' ', next: ' ' })).toEqual(take('words', 'high'));
    expect(j({ text: 'a b', boundary: 'line', leadingWs: '  ', next: 'c' })).toEqual(
      take('line', 'high'),
    );
  });

  it('after a newline, leaves a complete line written twice ("x += 1" on two lines)', () => {
    expect(j({ text: 'x += 1', boundary: 'line', leadingWs: '\n', next: '\n' })).toEqual(NO);
    expect(j({ text: 'x += 1', boundary: 'line', leadingWs: '\n', next: '' })).toEqual(NO);
    expect(j({ text: 'x += 1', boundary: 'line', leadingWs: '\n', next: ' ' })).toEqual(NO);
  });

  it('after a newline, waits for the next character, then takes a repeat that ends mid-word', () => {
    expect(j({ text: 'x += 1', boundary: 'line', leadingWs: '\n', next: undefined })).toEqual(WAIT);
    expect(j({ text: 'the synchro', boundary: 'line', leadingWs: '\n', next: 'n' })).toEqual(
      take('line', 'high'),
    );
  });

  it('after a newline, takes a repeat that spans a line break', () => {
    expect(j({ text: 'a b\nc', boundary: 'line', leadingWs: '\n', next: '\n' })).toEqual(
      take('line', 'high'),
    );
  });
});

describe('judge: rule 6, a line restated with its indentation', () => {
  it('takes it whenever the line holds something visible', () => {
    expect(j({ text: '    re', boundary: 'line', next: 't' })).toEqual(take('line', 'medium'));
    expect(j({ text: '    return', boundary: 'line', next: ' ' })).toEqual(take('line', 'high'));
    expect(j({ text: '\t}', boundary: 'line', next: '\n' })).toEqual(take('line', 'medium'));
  });

  it('leaves indentation alone', () => {
    expect(j({ text: '    ', boundary: 'line', next: 'x' })).toEqual(NO);
  });
});

describe('judge: rule 7, the current line after a reopened fence', () => {
  it('takes it however short', () => {
    expect(j({ text: 'd', boundary: 'line', afterFence: true, next: 'e' })).toEqual(
      take('line', 'medium'),
    );
    expect(j({ text: 'def', boundary: 'line', afterFence: true, next: ' ' })).toEqual(
      take('line', 'high'),
    );
    expect(j({ text: '  x', boundary: 'line', afterFence: true, next: ' ' })).toEqual(
      take('line', 'medium'),
    );
  });

  it('applies only at a line start, and not to a blank line', () => {
    expect(j({ text: '}', boundary: 'word', afterFence: true, next: 'e' })).toEqual(NO);
    expect(j({ text: '  ', boundary: 'line', afterFence: true, next: 'x' })).toEqual(NO);
  });
});

describe('couldTake', () => {
  const c = (over: Partial<Omit<Judged, 'next'>>) => {
    const { next: _next, ...rest } = base;
    return couldTake({ ...rest, ...over });
  };

  it('holds the seam for a candidate some continuation would take', () => {
    expect(c({ text: 'a' })).toBe(true);
    expect(c({ text: 'synchronis' })).toBe(true);
    expect(c({ text: '1', held: ' ' })).toBe(true);
    expect(c({ text: '80' })).toBe(true); // a number restarted ("80" + "804")
    expect(c({ text: '`', boundary: 'line' })).toBe(true);
    expect(c({ text: '#', boundary: 'line' })).toBe(true);
  });

  it('does not hold it for one that no continuation would take', () => {
    expect(c({ text: '看', boundary: 'chars' })).toBe(false);
    expect(c({ text: '=' })).toBe(false);
    expect(c({ text: 'had', leadingWs: ' ' })).toBe(false);
    expect(c({ text: '    ', boundary: 'line' })).toBe(false);
  });
});

describe('restatements longer than 2,000 characters', () => {
  const sentence = (i: number) => `Sentence ${i} explains one more step of the migration plan.`;
  const paragraph = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ');

  it('removes a 2,500-character restatement fed in small deltas', () => {
    const partial = `Intro.\n\n${paragraph}`;
    const from = partial.indexOf('Sentence', partial.length - 2_600);
    const restated = partial.slice(from);
    expect(restated.length).toBeGreaterThan(2_000);
    const { text, decision } = join(partial, `${restated} Then we ship.`, { chunk: 7 });
    expect(text).toBe(`${partial} Then we ship.`);
    expect(decision.trimmed).toBe(restated.length);
    expect(decision.rule).toBe('words');
  });

  it('removes a whole partial text over 2,000 characters restated from its start', () => {
    const { text, decision } = join(paragraph, `${paragraph} Done.`, { chunk: 13 });
    expect(text).toBe(`${paragraph} Done.`);
    expect(decision.rule).toBe('all');
  });

  it('removes a long paragraph without spaces restated from a character inside it', () => {
    const cjk = '日本語のテキストです。'.repeat(250);
    const from = cjk.length - 2_100;
    const { text, decision } = join(cjk, `${cjk.slice(from)}続きます。`, { chunk: 5 });
    expect(text).toBe(`${cjk}続きます。`);
    expect(decision.trimmed).toBe(2_100);
  });
});

describe('judge: edges between the rules', () => {
  it('takes indentation restated at the very start of the text as a word, not as a line', () => {
    // Rule 6 is for line starts; a delivered text that opens with spaces is the "all" boundary.
    expect(j({ text: '  re', boundary: 'all', next: 't' })).toEqual(take('all', 'low'));
  });

  it('is confident about an indented line from three visible characters', () => {
    expect(j({ text: '    ret', boundary: 'line', next: 'u' })).toEqual(take('line', 'high'));
  });

  it('judges text mixing a script without spaces and Latin letters by its letters', () => {
    expect(j({ text: 'テキストabc', boundary: 'chars', next: 'd' })).toEqual(take('chars', 'high'));
    expect(j({ text: '看ab', boundary: 'chars', next: 'c' })).toEqual(take('chars', 'medium'));
  });

  it('takes only a whole run of fence characters as a fence opener', () => {
    for (const text of ['``1', '1``', '`.`']) {
      expect(j({ text, boundary: 'line', following: '`x', next: '`' })).toEqual(NO);
    }
  });

  it('takes only a whole run of markdown marks as marks', () => {
    for (const text of ['#1', '1#', '-.']) {
      expect(j({ text, boundary: 'line', following: ' x', next: ' ' })).toEqual(NO);
    }
  });

  it('waits when nothing of the continuation follows the candidate yet', () => {
    const { following: _f, ...noFollowing } = base;
    expect(judge({ ...noFollowing, text: '##', boundary: 'line', next: undefined })).toEqual(WAIT);
    expect(judge({ ...noFollowing, text: '`', boundary: 'line', next: undefined })).toEqual(WAIT);
  });
});
