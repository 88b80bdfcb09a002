/**
 * Code fences at the seam (src/resume/seam/fence.ts), on their own: which fenced block the
 * delivered text stops inside (`openFence`, CommonMark's rules as far as the seam needs them),
 * and whether a continuation reopens it (`fenceReopen`). The corpus judges whole seams; these
 * pin each rule.
 */
import { describe, expect, it } from 'vitest';
import { fenceReopen, type OpenFence, openFence } from '../../../src/resume/seam/fence.js';

describe('openFence: the block the delivered text stops inside', () => {
  it('finds a block opened by backticks or tildes, and whether the cut fell mid-line', () => {
    expect(openFence('Here:\n```python\nx = 1\n')).toStrictEqual({
      marker: '```',
      midLine: false,
    });
    expect(openFence('Here:\n```python\nx = ')).toStrictEqual({ marker: '```', midLine: true });
    expect(openFence('~~~js\nconst a =')).toStrictEqual({ marker: '~~~', midLine: true });
    expect(openFence('````md\nnotes')).toStrictEqual({ marker: '````', midLine: true });
  });

  it('finds nothing outside a block, or after the block closed', () => {
    expect(openFence('Plain text, no code.')).toBeUndefined();
    expect(openFence('```js\nx()\n```\nAfter the block.')).toBeUndefined();
    expect(openFence('')).toBeUndefined();
  });

  it('does not count a fence line still being written (no newline after it yet)', () => {
    // The model may be writing "```python" or prose that starts with backticks.
    expect(openFence('Intro\n```python')).toBeUndefined();
    expect(openFence('Intro\n```python\n')).toStrictEqual({ marker: '```', midLine: false });
  });

  it('takes a fence indented by up to three spaces, not four (that is indented code)', () => {
    expect(openFence('   ```js\nx')).toStrictEqual({ marker: '```', midLine: true });
    expect(openFence('    ```js\nx')).toBeUndefined();
  });

  it('does not open a block on a backtick line whose info string holds a backtick (inline code)', () => {
    expect(openFence('```a`b\nx')).toBeUndefined();
    // A tilde fence may carry backticks in its info string.
    expect(openFence('~~~a`b\nx')).toStrictEqual({ marker: '~~~', midLine: true });
  });

  it('closes a block only with the same character, at least as many, and no info string', () => {
    expect(openFence('```js\nx\n```  \nmore')).toBeUndefined(); // trailing spaces are fine
    expect(openFence('````\nx\n`````\ny')).toBeUndefined(); // longer closes
    expect(openFence('````\nx\n```\ny')).toStrictEqual({ marker: '````', midLine: true });
    expect(openFence('```\nx\n~~~\ny')).toStrictEqual({ marker: '```', midLine: true });
    expect(openFence('```\nx\n```js\ny')).toStrictEqual({ marker: '```', midLine: true });
  });

  it('reports no open block while the closing fence is being written on the last line', () => {
    expect(openFence('```js\nx\n``')).toBeUndefined();
    expect(openFence('```js\nx\n ``')).toBeUndefined();
    expect(openFence('```js\nx\n```')).toBeUndefined();
    expect(openFence('```js\nx\n``` ')).toBeUndefined();
    expect(openFence('~~~\nx\n~~')).toBeUndefined();
    // Not a closing fence: the other fence character, or indented four spaces.
    expect(openFence('```\nx\n~~')).toStrictEqual({ marker: '```', midLine: true });
    expect(openFence('~~~\nx\n``')).toStrictEqual({ marker: '~~~', midLine: true });
    expect(openFence('```js\nx\n    ```')).toStrictEqual({ marker: '```', midLine: true });
    // Backticks with more on the line: code, not a closing fence.
    expect(openFence('```js\nx\n``y')).toStrictEqual({ marker: '```', midLine: true });
  });

  it('follows several blocks in a row', () => {
    const text = '```a\n1\n```\n\ntext\n\n~~~b\n2\n~~~\n\n```c\n3';
    expect(openFence(text)).toStrictEqual({ marker: '```', midLine: true });
    expect(openFence(`${text}\n\`\`\`\nafter`)).toBeUndefined();
  });
});

describe('fenceReopen: a continuation that reopens the block', () => {
  const midLine: OpenFence = { marker: '```', midLine: true };
  const atLineStart: OpenFence = { marker: '```', midLine: false };
  const tilde: OpenFence = { marker: '~~~', midLine: true };

  it('is certain of a fence with an info string: a closing fence never has one', () => {
    expect(fenceReopen(atLineStart, '', '```py\nx', false)).toStrictEqual({
      kind: 'fence',
      length: '```py\n'.length,
      certain: true,
    });
    expect(fenceReopen(midLine, '', '```python\n    return', false)).toStrictEqual({
      kind: 'fence',
      length: '```python\n'.length,
      certain: true,
    });
  });

  it('is certain of a bare fence written mid-line with no newline before it: it cannot close', () => {
    expect(fenceReopen(midLine, '', '```\nturn x', false)).toStrictEqual({
      kind: 'fence',
      length: 4,
      certain: true,
    });
    expect(fenceReopen(midLine, '', '```  \nturn x', false)).toStrictEqual({
      kind: 'fence',
      length: 6,
      certain: true,
    });
  });

  it('is unsure of a bare fence after a newline (held or written): it may be the close', () => {
    expect(fenceReopen(midLine, '\n', '```\nturn x', false)).toStrictEqual({
      kind: 'fence',
      length: 4,
      certain: false,
    });
    expect(fenceReopen(midLine, '', '\n```\nturn x', false)).toStrictEqual({
      kind: 'fence',
      length: 5,
      certain: false,
    });
    expect(fenceReopen(atLineStart, '', '```\nx', false)).toStrictEqual({
      kind: 'fence',
      length: 4,
      certain: false,
    });
    // Trailing spaces are no info string.
    expect(fenceReopen(atLineStart, '', '```  \nx', false)).toStrictEqual({
      kind: 'fence',
      length: 6,
      certain: false,
    });
  });

  it('counts the whitespace before the fence and its whole line in the length', () => {
    expect(fenceReopen(midLine, '', '  \t```js\nx', false)).toStrictEqual({
      kind: 'fence',
      length: '  \t```js\n'.length,
      certain: true,
    });
    expect(fenceReopen(midLine, '', '\r\n```js\r\nx', false)).toStrictEqual({
      kind: 'fence',
      length: '\r\n```js\r\n'.length,
      certain: true,
    });
  });

  it('takes a longer run of the same character as a reopening', () => {
    expect(fenceReopen(midLine, '', '````\nx', false)).toStrictEqual({
      kind: 'fence',
      length: 5,
      certain: true,
    });
  });

  it('waits while the run of fence characters or the fence line is incomplete', () => {
    expect(fenceReopen(midLine, '', '', false)).toStrictEqual({ kind: 'wait' });
    expect(fenceReopen(midLine, '', '``', false)).toStrictEqual({ kind: 'wait' });
    expect(fenceReopen(midLine, '', '```py', false)).toStrictEqual({ kind: 'wait' });
  });

  it('at the end of the continuation, an incomplete fence is no fence', () => {
    expect(fenceReopen(midLine, '', '``', true)).toStrictEqual({ kind: 'none' });
    expect(fenceReopen(midLine, '', '```py', true)).toStrictEqual({ kind: 'none' });
  });

  it('finds no fence in text, inline code, or the other fence character', () => {
    expect(fenceReopen(midLine, '', 'turn x', false)).toStrictEqual({ kind: 'none' });
    expect(fenceReopen(midLine, '', '``x', false)).toStrictEqual({ kind: 'none' });
    expect(fenceReopen(midLine, '', '```a`b\nx', false)).toStrictEqual({ kind: 'none' });
    expect(fenceReopen(tilde, '', '```\nx', false)).toStrictEqual({ kind: 'none' });
    // Backticks in a tilde fence's info string are allowed.
    expect(fenceReopen(tilde, '', '~~~a`b\nx', false)).toStrictEqual({
      kind: 'fence',
      length: 7,
      certain: true,
    });
  });
});
