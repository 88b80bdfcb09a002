/**
 * decideSeam as one call: which steps run in each mode, when it waits for more text, what it
 * records (trimmed characters, rule, removals, whitespace, confidence).
 */
import { describe, expect, it } from 'vitest';
import { decideSeam, findRestatement, seamContext } from '../../../src/resume/seam/index.js';

describe('decideSeam', () => {
  it('in prefill and append modes joins only the whitespace: nothing restated is removed', () => {
    for (const mode of ['prefill', 'append'] as const) {
      const ctx = seamContext('The quick brown', ' ', mode);
      expect(ctx.fence).toBeUndefined();
      expect(decideSeam(ctx, 'brown fox', false)).toStrictEqual({
        text: ' brown fox',
        trimmed: 0,
        rule: 'append',
        removed: [],
        whitespace: 'held',
        confidence: 'high',
      });
    }
  });

  it('in continuation mode removes a restatement and records its rule', () => {
    const ctx = seamContext('We need an incremental synchronis', '', 'continuation');
    expect(decideSeam(ctx, 'synchronisation across regions.', true)).toMatchObject({
      text: 'ation across regions.',
      trimmed: 10,
      removed: [],
    });
  });

  it('waits while a preamble line may still be coming, then removes it', () => {
    const ctx = seamContext('The plan is', ' ', 'continuation');
    expect(decideSeam(ctx, 'Continuing from where I', false)).toBeUndefined();
    const decision = decideSeam(ctx, 'Continuing from where I left off:\nready.', false);
    expect(decision).toMatchObject({ text: ' ready.', removed: ['preamble'], confidence: 'low' });
    expect(decision?.trimmed).toBe('Continuing from where I left off:\n'.length);
  });

  it('after a preamble, separates a new word from a word the delivered text ends with', () => {
    const ctx = seamContext('The plan', '', 'continuation');
    expect(decideSeam(ctx, '(continued)\nis ready.', true)).toMatchObject({
      text: ' is ready.',
      whitespace: 'continuation',
      confidence: 'low',
    });
    // Not after punctuation, and not in a script written without spaces.
    expect(
      decideSeam(seamContext('The plan.', '', 'continuation'), '(continued)\nIt is.', true),
    ).toMatchObject({ text: 'It is.', whitespace: 'none' });
    expect(
      decideSeam(seamContext('計画', '', 'continuation'), '(continued)\nです。', true),
    ).toMatchObject({ text: 'です。', whitespace: 'none' });
  });

  it('inside an open code fence, removes a reopened fence with its tag', () => {
    const previous = 'Here:\n```python\nx = 1\n';
    const ctx = seamContext(previous, '', 'continuation');
    expect(ctx.fence).toStrictEqual({ marker: '```', midLine: false });
    const decision = decideSeam(ctx, '```python\ny = 2\n', true);
    expect(decision).toMatchObject({ text: 'y = 2\n', removed: ['fence'] });
    expect(decision?.trimmed).toBe('```python\n'.length);
  });

  it('keeps a bare fence after a newline when nothing restated follows: it may be the close', () => {
    const ctx = seamContext('```\nx = 1\n', '', 'continuation');
    expect(decideSeam(ctx, '```\nDone.', true)).toMatchObject({
      text: '```\nDone.',
      removed: [],
      trimmed: 0,
    });
  });

  it('waits for the fence line to end before deciding', () => {
    const ctx = seamContext('```js\nlet a', '', 'continuation');
    expect(decideSeam(ctx, '```j', false)).toBeUndefined();
  });

  it('waits while the continuation is only whitespace, decides at the end', () => {
    const ctx = seamContext('Done.', '\n', 'continuation');
    expect(decideSeam(ctx, '\n', false)).toBeUndefined();
    expect(decideSeam(ctx, '\n', true)).toMatchObject({ text: '\n', whitespace: 'continuation' });
  });

  it('after a preamble, a restatement keeps its own rule and confidence, and no space is added', () => {
    const ctx = seamContext('The quick brown fo', '', 'continuation');
    const preamble = 'Continuing from where I left off:\n\n';
    expect(decideSeam(ctx, `${preamble}brown fox jumps.`, true)).toStrictEqual({
      text: 'x jumps.',
      trimmed: `${preamble}brown fo`.length,
      rule: 'words',
      removed: ['preamble'],
      whitespace: 'none',
      confidence: 'high',
    });
  });

  it('after a preamble and a reopened fence, the code line goes on as written: no space added', () => {
    const ctx = seamContext('Code:\n```python\nx = 1', '', 'continuation');
    const head = 'Continuing from where I left off:\n\n```python\n';
    expect(decideSeam(ctx, `${head}y = 2\n`, true)).toStrictEqual({
      text: 'y = 2\n',
      trimmed: head.length,
      rule: 'append',
      removed: ['preamble', 'fence'],
      whitespace: 'none',
      confidence: 'high',
    });
  });

  it('after a preamble, keeps the whitespace as joined and adds none before punctuation', () => {
    const held = decideSeam(seamContext('The plan', ' ', 'continuation'), '(continued)\nis', true);
    expect(held).toMatchObject({ text: ' is', whitespace: 'held', confidence: 'low' });
    const own = decideSeam(seamContext('The plan', '', 'continuation'), '(continued)\n\nis', true);
    expect(own).toMatchObject({ text: ' is', whitespace: 'continuation', confidence: 'low' });
    const comma = decideSeam(
      seamContext('The plan', '', 'continuation'),
      '(continued)\n, and',
      true,
    );
    expect(comma).toMatchObject({ text: ', and', whitespace: 'none', confidence: 'low' });
  });

  it('a preamble and nothing after it: nothing is delivered, once the continuation ends', () => {
    const ctx = seamContext('The plan', '', 'continuation');
    expect(decideSeam(ctx, '(continued)\n', false)).toBeUndefined();
    expect(decideSeam(ctx, '(continued)\n', true)).toMatchObject({
      text: '',
      trimmed: '(continued)\n'.length,
      removed: ['preamble'],
    });
  });

  it('removes a bare fence after a held line break when the line is restated after it', () => {
    const ctx = seamContext('Here:\n```python\ndef f(x):\n    re', '\n', 'continuation');
    expect(decideSeam(ctx, '```\n    return x\n', true)).toMatchObject({
      trimmed: '```\n    re'.length,
      rule: 'line',
      removed: ['fence'],
    });
  });

  it('waits after an unsure fence until what follows shows whether the line is restated', () => {
    const ctx = seamContext('Here:\n```python\ndef f(x):\n    re', '\n', 'continuation');
    expect(decideSeam(ctx, '```\n    re', false)).toBeUndefined();
    expect(decideSeam(ctx, '```\n  ', false)).toBeUndefined();
  });

  it('waits after a certain fence while the line may still be restated, removes the fence at the end', () => {
    const ctx = seamContext('Here:\n```python\ndef f(x):\n    re', '', 'continuation');
    expect(decideSeam(ctx, '```python\n    r', false)).toBeUndefined();
    expect(decideSeam(ctx, '```python\n', false)).toBeUndefined();
    expect(decideSeam(ctx, '```python\n', true)).toMatchObject({
      text: '',
      trimmed: '```python\n'.length,
      removed: ['fence'],
    });
  });

  it('records nothing restated as an append, after a script without spaces too', () => {
    const ctx = seamContext('項目: 日本語', '\n', 'continuation');
    expect(decideSeam(ctx, '次の行', true)).toStrictEqual({
      text: '\n次の行',
      trimmed: 0,
      rule: 'append',
      removed: [],
      whitespace: 'held',
      confidence: 'high',
    });
  });

  it('a continuation that only restates: nothing is delivered', () => {
    const ctx = seamContext('The migra', '', 'continuation');
    expect(decideSeam(ctx, 'migra', true)).toMatchObject({ text: '', trimmed: 5, rule: 'word' });
    expect(
      decideSeam(seamContext('Migration', '', 'continuation'), 'Migration', true),
    ).toMatchObject({ text: '', trimmed: 9, rule: 'all', confidence: 'high' });
  });

  it('in prefill mode looks for no code fence, even inside a code block', () => {
    expect(seamContext('```py\nx', '', 'prefill').fence).toBeUndefined();
    expect(seamContext('```py\nx', '', 'continuation').fence).toStrictEqual({
      marker: '```',
      midLine: true,
    });
  });

  it('inside a code block, waits while the continuation may be starting a fence', () => {
    const ctx = seamContext('Here:\n```python\nx =', ' ', 'continuation');
    expect(decideSeam(ctx, '``', false)).toBeUndefined();
  });

  it('inside a code block, a line restated without a reopened fence is removed as a line', () => {
    const ctx = seamContext('Here:\n```python\ndef f(x):\n    re', '', 'continuation');
    expect(decideSeam(ctx, '    return x\n', true)).toStrictEqual({
      text: 'turn x\n',
      trimmed: 6,
      rule: 'line',
      removed: [],
      whitespace: 'none',
      confidence: 'medium',
    });
  });

  it('after a reopened fence, a line of punctuation restated ("}") is removed: no doubled brace', () => {
    const ctx = seamContext('```js\nif (x) {\n  y();\n}', '', 'continuation');
    expect(decideSeam(ctx, '```js\n}\n', true)).toMatchObject({
      text: '\n',
      trimmed: '```js\n}'.length,
      rule: 'line',
      removed: ['fence'],
    });
  });

  it('after a preamble, adds no space before punctuation outside ASCII (an em dash)', () => {
    const ctx = seamContext('The plan', '', 'continuation');
    expect(decideSeam(ctx, '(continued)\n— and more', true)).toMatchObject({
      text: '— and more',
      whitespace: 'none',
    });
  });

  it('decides at once when the only longer candidate is one no continuation would take', () => {
    // "==" then "=": a lone "=" restated is never taken, so "=" is not held back.
    const ctx = seamContext('if (a ==', '', 'continuation');
    expect(decideSeam(ctx, '=', false)).toMatchObject({ text: '=', trimmed: 0, rule: 'append' });
  });

  it('records an indented line restated as a line, not as the words after its indentation', () => {
    const ctx = seamContext('def f():\n    return x', '', 'continuation');
    expect(decideSeam(ctx, '    return x + 1', true)).toMatchObject({
      text: ' + 1',
      trimmed: 12,
      rule: 'line',
      confidence: 'high',
    });
  });
});

describe('decideSeam: the held space before a mark the model wrote right after its restatement', () => {
  it('leaves the held space out: "I said no" + ", never." reads "I said no, never."', () => {
    for (const [previous, continuation, text] of [
      ['I said no', 'said no, never.', ', never.'],
      ['the quick brown fox', 'brown fox. Then', '. Then'],
      ['call it with the flag', 'the flag) and go', ') and go'],
      ['so it ends', 'it ends\u2026 or not', '\u2026 or not'],
    ] as const) {
      const d = decideSeam(seamContext(previous, ' ', 'continuation'), continuation, true);
      expect(d).toMatchObject({ text, whitespace: 'none' });
      expect(`${previous}${d?.text}`).not.toMatch(/\s[,.)\u2026]/);
    }
  });

  it('puts the held space back before a word, and after a restatement the model spaced itself', () => {
    const ctx = () => seamContext('I said no', ' ', 'continuation');
    expect(decideSeam(ctx(), 'said no more.', true)).toMatchObject({
      text: ' more.',
      whitespace: 'continuation',
    });
    // French spacing: the model's own space before "!" is kept.
    expect(decideSeam(ctx(), 'said no ! Never.', true)).toMatchObject({ text: ' ! Never.' });
  });

  it('keeps a held line break before a mark: layout, not spacing', () => {
    const d = decideSeam(seamContext('- item one', '\n', 'continuation'), 'item one.', true);
    expect(d?.text.startsWith('\n')).toBe(true);
  });

  it('keeps the held space when nothing was restated (prefill, append): the mark may be the text', () => {
    for (const mode of ['prefill', 'append', 'continuation'] as const) {
      const d = decideSeam(seamContext('I said no', ' ', mode), ', never.', true);
      expect(d).toMatchObject({ text: ' , never.', whitespace: 'held', rule: 'append' });
    }
  });
});

describe('decideSeam: a continuation that ends while it may still be restating', () => {
  it('keeps it as written, marked low confidence', () => {
    const ctx = () => seamContext('The quick brown fox', ' ', 'continuation');
    // The block ended after "The quick": a restart of the sentence cut short, or new text.
    expect(decideSeam(ctx(), 'The quick', true)).toMatchObject({
      text: ' The quick',
      trimmed: 0,
      rule: 'append',
      confidence: 'low',
    });
    // Not final: it waits for more instead.
    expect(decideSeam(ctx(), 'The quick', false)).toBeUndefined();
    // New text that no candidate starts with stays high confidence.
    expect(decideSeam(ctx(), 'Then it ran.', true)).toMatchObject({ confidence: 'high' });
  });
});

describe('decideSeam: a line written twice', () => {
  it('keeps a complete line written again at the very end of the continuation (real code)', () => {
    const ctx = seamContext('loop:\nx += 1', '', 'continuation');
    expect(decideSeam(ctx, '\nx += 1', true)).toMatchObject({
      text: '\nx += 1',
      trimmed: 0,
      rule: 'append',
    });
  });
});

describe('findRestatement on its own (no cache of earlier looks)', () => {
  it('finds a restarted word, and restated words after the continuation wrote a space', () => {
    expect(
      findRestatement('We need an incremental synchronis', '', 'synchronisation', false),
    ).toStrictEqual({
      kind: 'found',
      length: 10,
      rule: 'word',
      boundary: 'word',
      confidence: 'high',
    });
    expect(findRestatement('The cat sat', ' ', ' cat sat down', true)).toStrictEqual({
      kind: 'found',
      length: ' cat sat'.length,
      rule: 'words',
      boundary: 'word',
      confidence: 'high',
    });
  });
});
