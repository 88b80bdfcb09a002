/**
 * Preambles (src/resume/seam/preamble.ts): what is removed, what is kept as text, and when the
 * seam waits. A continuation arrives in deltas of a few characters, so a preamble must be found
 * however it is cut: the seam waits while the head may still grow into one, and stops waiting
 * as soon as it cannot.
 */
import { describe, expect, it } from 'vitest';
import { findPreamble } from '../../../src/resume/seam/preamble.js';
import { join } from './join.js';

/** Preambles as models write them, despite the instruction not to. */
const PREAMBLES = [
  'Continuing from where I left off:\n',
  'Sure, continuing from where I left off:\n\n',
  'Okay, continuing where I left off.\n',
  'OK! Resuming where I was interrupted:\n',
  'Certainly. I will continue from where the response was cut off:\n',
  'Of course, let me pick up where I left off:\n',
  'Alright, picking up where I stopped…\n',
  "Got it, I'm continuing from the interruption:\n",
  'I’ll carry on from where I broke off:\n',
  'I am resuming from where the text got cut:\n',
  'Carrying on where I left off: ',
  '(continued)\n',
  '[continued]\n',
  'Cont.\n',
  'Continuing...\n',
  '(cont.)\n',
  "Here's the rest of the answer:\n",
  'Here is the remainder:\n',
  // After a blank line.
  '\n\nContinuing from where I left off:\n\n',
  '  \nContinuing from where I left off:\r\n',
];

describe('preambles streamed in deltas', () => {
  it.each(PREAMBLES)('%j is removed however the deltas cut it', (preamble) => {
    for (const chunk of [1, 2, 3, 5, 1000]) {
      expect(join('The quick brown fox', `${preamble}jumps over.`, { chunk }).text).toBe(
        'The quick brown fox jumps over.',
      );
    }
  });

  it.each([
    'Continuing the loop, we add one.',
    'Sure it is.',
    'Sure I can do that.',
    'I am done.',
    'Okay then.',
    'Resume parsing: done.',
    'Here is the plan: first, back up.',
    'Let me explain.',
    'Picking a value: 3.',
  ])('%j is text, kept as written', (text) => {
    for (const chunk of [1, 3, 1000]) {
      expect(join('Done. ', text, { chunk }).text).toBe(`Done. ${text}`);
    }
  });
});

describe('findPreamble: waiting', () => {
  it('waits while the head may still grow into a preamble', () => {
    for (const head of [
      '',
      '   ',
      'Su',
      'Sure, I',
      'Certainly. I w',
      'Of course, let m',
      "Got it, I'",
      'Let',
      'Resu',
      'Pick',
      'Carry',
      '(cont',
      '[contin',
      'Here is',
      '\n\nContinuing from',
      'Continuing from where I left off',
      'Continuing:',
    ]) {
      expect(findPreamble(head, false), JSON.stringify(head)).toStrictEqual({ kind: 'wait' });
    }
  });

  it('stops waiting for a head that cannot start a preamble', () => {
    for (const head of ['The plan', 'Sure I can', 'Sure thing', '\n\nSure thing', 'x']) {
      expect(findPreamble(head, false), JSON.stringify(head)).toStrictEqual({ kind: 'none' });
    }
  });

  it('stops waiting once the line ended, or a colon and text came, without a preamble', () => {
    expect(findPreamble('Continuing the loop\n', false)).toStrictEqual({ kind: 'none' });
    expect(findPreamble('Continuing: the loop', false)).toStrictEqual({ kind: 'none' });
    expect(findPreamble('Continuing:  the loop', false)).toStrictEqual({ kind: 'none' });
  });

  it('finds a preamble line that ends within the first 200 characters, blank lines included', () => {
    const line = 'Continuing from where I left off:\n';
    const blank = '\n'.repeat(200 - line.length);
    expect(findPreamble(`${blank}${line}text`, false)).toStrictEqual({
      kind: 'preamble',
      length: 200,
    });
  });

  it('stops waiting after 200 characters without the line ending', () => {
    expect(findPreamble(`Continuing ${'x'.repeat(188)}`, false)).toStrictEqual({ kind: 'wait' });
    expect(findPreamble(`Continuing ${'x'.repeat(189)}`, false)).toStrictEqual({ kind: 'none' });
  });

  it('never waits at the end of the continuation', () => {
    expect(findPreamble('', true)).toStrictEqual({ kind: 'none' });
    expect(findPreamble('Continuing from where I left off', true)).toStrictEqual({
      kind: 'none',
    });
    expect(findPreamble('Continuing where I left off\n', true)).toStrictEqual({
      kind: 'preamble',
      length: 28,
    });
  });
});

describe('findPreamble: the length removed', () => {
  it('takes the preamble line with its line breaks, or an inline one with its colon and space', () => {
    expect(findPreamble('Continuing from where I left off:\n\nabc', false)).toStrictEqual({
      kind: 'preamble',
      length: 'Continuing from where I left off:\n\n'.length,
    });
    expect(findPreamble('Continuing where I left off: jumps', false)).toStrictEqual({
      kind: 'preamble',
      length: 'Continuing where I left off: '.length,
    });
    expect(findPreamble('  (continued)\r\n\r\nabc', false)).toStrictEqual({
      kind: 'preamble',
      length: '  (continued)\r\n\r\n'.length,
    });
  });
});
