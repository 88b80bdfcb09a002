import { describe, expect, it } from 'vitest';
import {
  detectFence,
  detectGlued,
  detectLostSpace,
  detectRepeat,
  detectSpace,
  escapeVisible,
  fenceLines,
  fenceParity,
  headChars,
  inCode,
  seamFlags,
  tailChars,
} from '../../src/diagnose/verify/seam-audit.js';

/** The flag kinds for a seam written as "before‖after". */
function kinds(joined: string): string[] {
  const [before, after] = joined.split('‖') as [string, string];
  return seamFlags(before, after).map((f) => f.kind);
}

describe('repeat', () => {
  it.each([
    [
      'English, a naive append of 3 restated words',
      'over the quick brown fox‖quick brown fox jumps',
    ],
    ['restated after the held space', 'the quick brown fox ‖quick brown fox jumps over'],
    [
      'a word cut mid-way, restated with the two before it',
      'we plan the incremental synchronis‖the incremental synchronisation across nodes',
    ],
    [
      'restated after a preamble',
      'and then we measured the latency‖ Continuing from where I left off: measured the latency twice',
    ],
    [
      'restated from further back',
      'The cache keeps every partial response for later‖keeps every partial response, then',
    ],
    ['Japanese, characters restated', 'ストリームが途中で切れた場合‖切れた場合でも再開できます'],
    [
      'Chinese, characters restated',
      '东京是日本的首都，人口约一千四百万‖人口约一千四百万，是世界最大的都市',
    ],
    ['Thai, characters restated', 'ภาษาไทยไม่มีช่องว่าง‖ไม่มีช่องว่างระหว่างคำ'],
    [
      'code, the current line restated',
      'def f(a, b):\n    total = compute(a‖    total = compute(a, b)\n    return total',
    ],
  ])('flags %s', (_, joined) => {
    expect(kinds(joined)).toContain('repeat');
  });

  it.each([
    ['"had had"', 'By then he had‖ had enough of it'],
    ['"that that"', 'He said that‖ that was fine'],
    ['"very very"', 'It was very‖ very good, and very'],
    ['two words', 'and so it is‖ it is not over'],
    ['a common short phrase nearby', 'It was one of the‖ reasons, and one of the others'],
    ['a 3-word phrase differing in case', 'It was the‖ best of times, it was the worst'],
    ['Japanese reduplication', 'まあ‖まあです'],
    ['Chinese reduplication', '谢谢‖谢你的帮助'],
    ['three CJK characters', '私は日本語‖日本語が好き'],
    ['a clean mid-word seam', 'the quick brown fo‖x jumps over the lazy dog'],
    ['a clean seam in code', 'for (let i = 0; i < n; i++) {\n  sum += a[‖i];\n}'],
    ['code with the same token twice', 'x = x‖ + x * x'],
  ])('does not flag %s', (_, joined) => {
    expect(kinds(joined)).not.toContain('repeat');
  });

  it('quotes the repeated text with its whitespace visible', () => {
    expect(detectRepeat('a b\tc d e', 'c d e f')?.detail).toBe('"c d e" on both sides of the seam');
    expect(detectRepeat('x\nalpha beta gamma', 'alpha beta gamma')?.detail).toContain(
      '"alpha beta gamma"',
    );
  });
});

describe('glued', () => {
  it.each([
    ['a restarted word', 'incremental synchronis‖synchronisation across'],
    ['a restated chunk of a word', 'incremental synchron‖chronisation across'],
    ['a capital inside a word', 'the quick‖Brown fox'],
    ['accented letters', 'la réconcili‖réconciliation des données'],
  ])('flags %s', (_, joined) => {
    expect(kinds(joined)).toContain('glued');
  });

  it.each([
    ['a cut elsewhere in a reduplicated word', 'Mis‖sissippi'],
    ['double letters', 'a book‖keeper'],
    ['a word repeated with a space', 'he had‖ had enough'],
    ['a one-letter prefix', 'my i‖Phone'],
    ['camelCase in prose', 'written in Java‖Script'],
    ['camelCase in a code block', '```js\nconst [a, b] = use‖State(0);\n```'],
    ['camelCase in inline code', 'call `use‖State` here'],
    ['CJK (repeat judges it)', '東京都‖東京都庁'],
    ['punctuation at the seam', 'end.‖End'],
    ['a clean mid-word seam', 'synchronis‖ation across'],
  ])('does not flag %s', (_, joined) => {
    expect(kinds(joined)).not.toContain('glued');
  });

  it('flags a real word cut exactly at its own reduplication (the stated false positive)', () => {
    expect(detectGlued('a bowl of cous', 'cous with lamb')?.kind).toBe('glued');
  });

  it('names the chunk and the word across the seam', () => {
    expect(detectGlued('synchronis', 'synchronisation')?.detail).toBe(
      '"synchronis" twice in a row in the word across the seam, "synchronis|synchronisation"',
    );
  });

  it('knows when a seam is in code', () => {
    expect(inCode('text\n```python\nx = 1\n')).toBe(true);
    expect(inCode('text\n```python\nx = 1\n```\nmore')).toBe(false);
    expect(inCode('run `npm te')).toBe(true);
    expect(inCode('run `npm test` then')).toBe(false);
  });
});

describe('fence', () => {
  it.each([
    ['a fence reopened mid-line', 'def add(a, b):\n    re‖```python\n    return a + b\n```'],
    ['a tilde fence mid-line', 'some te‖~~~\nmore'],
    ['a marker straddling the seam', 'x = 1``‖`python\ny = 2'],
  ])('flags %s', (_, joined) => {
    expect(kinds(joined)).toContain('fence');
  });

  it.each([
    ['a fence at a line start', 'Here is the code:‖\n\n```python\nprint(1)\n```'],
    ['an indented fence', '1. Install it:\n‖   ```sh\n   npm i\n   ```'],
    ['a fence in a blockquote', '> quoted\n‖> ```\n> code\n> ```'],
    ['a marker before the seam only', 'inline ```x``` here‖ and more'],
    ['a marker far after the seam', `prose‖${' word'.repeat(20)} and then \`\`\`inline\`\`\``],
  ])('does not flag %s', (_, joined) => {
    expect(kinds(joined)).not.toContain('fence');
  });

  it('shows where the marker is', () => {
    expect(detectFence('    re', '```python\n    return 1')?.detail).toBe(
      'a fence marker not at a line start: "    re```python\\n    r"',
    );
  });

  it('counts fence lines', () => {
    expect(fenceLines('a\n```js\nx\n```\n  ~~~\n> ```\nnot ``` here')).toBe(4);
  });

  it('flags an odd number of fence lines where the uncut text has an even one', () => {
    const uncut = '```python\ndef f():\n    return 1\n```';
    const joined = '```python\ndef f():\n```python\n    return 1\n```';
    expect(fenceParity(joined, uncut)?.detail).toBe(
      'the final text has 3 fence lines (odd), the uncut text 2',
    );
    expect(fenceParity(uncut, uncut)).toBeUndefined();
    // The uncut text itself ends inside a block (max_tokens): odd is expected.
    expect(fenceParity('```python\nx', '```python\nx y')).toBeUndefined();
    // No reference: even is assumed, unless the text may end inside code.
    expect(fenceParity(joined, undefined)?.kind).toBe('fence');
    expect(fenceParity(joined, undefined, true)).toBeUndefined();
  });
});

describe('space', () => {
  it.each([
    [
      'a held space put back before a continuation with its own',
      'the first boundary ‖ boundary next',
    ],
    ['three spaces', 'a word‖   another'],
  ])('flags %s', (_, joined) => {
    expect(kinds(joined)).toContain('space');
  });

  it.each([
    ['one space', 'a word ‖another'],
    ['a paragraph break split by the seam', 'the end.\n‖\nNext'],
    ['two spaces after a sentence end', 'the end.  ‖Next'],
    ['indentation', 'def f():\n  ‖  return 1'],
    ['alignment in code', '```\nx  ‖ = 1'],
    ['a markdown line break', 'line one  ‖\nline two'],
  ])('does not flag %s', (_, joined) => {
    expect(kinds(joined)).not.toContain('space');
  });

  it('flags whitespace known to belong at the seam that is gone', () => {
    expect(detectLostSpace('a token', 'would', { delivered: 'a token ' })?.detail).toBe(
      'the text before the seam ended with " "; none is left where the sides meet: "a token|would"',
    );
    expect(detectLostSpace('a token', 'would', { continuation: '\nwould' })?.kind).toBe('space');
    // Kept, or not known to be there, or punctuation next to it: nothing lost.
    expect(detectLostSpace('a token ', 'would', { delivered: 'a token ' })).toBeUndefined();
    expect(detectLostSpace('a token', ' would', { continuation: ' would' })).toBeUndefined();
    expect(detectLostSpace('synchronis', 'ation', { delivered: 'synchronis' })).toBeUndefined();
    expect(detectLostSpace('a token', ', would', { delivered: 'a token ' })).toBeUndefined();
  });

  it('shows the spaces', () => {
    expect(detectSpace('first boundary', '  boundary next')?.detail).toBe(
      '2 spaces where the sides meet: "rst boundary  boundary nex"',
    );
  });
});

describe('display', () => {
  it('escapes whitespace and control characters, not text', () => {
    expect(escapeVisible('a\nb\tc d\u00a0e\r"q"\\ é 日本\u200b')).toBe(
      'a\\nb\\tc d\\u00a0e\\r\\"q\\"\\\\ é 日本\\u200b',
    );
  });

  it('never splits a surrogate pair', () => {
    expect(tailChars('ab😀c', 2)).toBe('😀c');
    expect(headChars('😀😀x', 2)).toBe('😀😀');
  });

  it('flags nothing on a clean seam in mixed text', () => {
    expect(
      seamFlags('The API returns `stop_reason`. 日本語の説明: ストリー', 'ムは再開されます。'),
    ).toEqual([]);
  });
});
