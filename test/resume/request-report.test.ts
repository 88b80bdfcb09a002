/**
 * The request checks the engine makes before sending (each problem named with its field), the
 * thinking switch, the model generations behind the continuation form, and the one-line
 * summary of a recovery report.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRequestBody,
  type MessageRequestBody,
  ModelTable,
  modelGeneration,
  type RecoveryReport,
  summarize,
  thinkingEnabled,
} from '../../src/resume/index.js';

describe('checkRequestBody', () => {
  const ok = {
    model: 'claude-opus-4-6',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 5,
  };

  it('accepts a body with a model, messages of string or block content, and max_tokens', () => {
    expect(checkRequestBody(ok)).toBeUndefined();
    expect(
      checkRequestBody({
        ...ok,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'hi' }] },
          { role: 'assistant', content: 'yes' },
        ],
      }),
    ).toBeUndefined();
    expect(checkRequestBody({ ...ok, messages: [] })).toBeUndefined();
  });

  it.each([
    [null, 'the request body must be a JSON object'],
    ['text', 'the request body must be a JSON object'],
    [[ok], 'the request body must be a JSON object'],
    [{ ...ok, model: '' }, 'model: a model id string is required'],
    [{ ...ok, model: 4 }, 'model: a model id string is required'],
    [{ ...ok, messages: 'hi' }, 'messages: an array of messages is required'],
    [{ ...ok, messages: [null] }, 'messages.0: must be an object'],
    [{ ...ok, messages: [{ role: 'user', content: 'a' }, 'b'] }, 'messages.1: must be an object'],
    [
      { ...ok, messages: [{ role: 'system', content: 'a' }] },
      'messages.0.role: must be "user" or "assistant"',
    ],
    [
      { ...ok, messages: [{ role: 'user', content: { text: 'a' } }] },
      'messages.0.content: must be a string or an array of content blocks',
    ],
    [{ ...ok, max_tokens: '5' }, 'max_tokens: a number is required'],
    [{ model: 'm', messages: [] }, 'max_tokens: a number is required'],
  ])('%j: %s', (body, problem) => {
    expect(checkRequestBody(body)).toBe(problem);
  });
});

describe('thinkingEnabled', () => {
  const body = (thinking: MessageRequestBody['thinking']): MessageRequestBody => ({
    model: 'm',
    messages: [],
    max_tokens: 1,
    ...(thinking === undefined ? {} : { thinking }),
  });

  it('is on for enabled or adaptive thinking, off when absent, null or disabled', () => {
    expect(thinkingEnabled(body({ type: 'enabled', budget_tokens: 1024 }))).toBe(true);
    expect(thinkingEnabled(body({ type: 'adaptive' }))).toBe(true);
    expect(thinkingEnabled(body(undefined))).toBe(false);
    expect(thinkingEnabled(body(null))).toBe(false);
    expect(thinkingEnabled(body({ type: 'disabled' }))).toBe(false);
  });
});

describe('modelGeneration', () => {
  it.each([
    ['claude-opus-4-6', { major: 4, minor: 6 }],
    ['claude-haiku-4-5-20251001', { major: 4, minor: 5 }],
    ['claude-sonnet-4', { major: 4, minor: 0 }],
    ['claude-opus-4-1@20250805', { major: 4, minor: 1 }],
    ['claude-sonnet-4-5:beta', { major: 4, minor: 5 }],
    ['claude-sonnet-4-5.v2', { major: 4, minor: 5 }],
    ['claude-opus-12-10', { major: 12, minor: 10 }],
    ['claude-3-5-sonnet-20241022', { major: 3, minor: 5 }],
    ['claude-3-opus-20240229', { major: 3, minor: 0 }],
    ['claude-2-haiku', { major: 2, minor: 0 }],
    ['claude-10-opus', { major: 10, minor: 0 }],
    ['claude-3-10-sonnet', { major: 3, minor: 10 }],
    ['claude-opus-4-6-20260101', { major: 4, minor: 6 }],
  ])('%s is generation %j', (model, generation) => {
    expect(modelGeneration(model)).toStrictEqual(generation);
  });

  it.each([
    'claude-opus',
    'claude-opus-4x',
    'claude-poem-4-6',
    'anthropic/claude-opus-4-6',
    'anthropic/claude-3-opus',
    'claude-3-5-poem',
    'gpt-4',
  ])('%s is no generation it can place', (model) => {
    expect(modelGeneration(model)).toBeUndefined();
  });

  it('gives prefill up to 4.5 and the continuation turn from 4.6, at the boundaries', () => {
    const table = new ModelTable();
    expect(table.formFor('claude-opus-4-5')).toBe('prefill');
    expect(table.formFor('claude-opus-4-6')).toBe('continue');
    expect(table.formFor('claude-3-9-sonnet')).toBe('prefill');
    expect(table.formFor('claude-opus-4')).toBe('prefill');
    expect(table.formFor('claude-opus-5-0')).toBe('continue');
  });
});

describe('summarize', () => {
  const report: RecoveryReport = {
    model: 'claude-opus-4-6',
    outcome: 'recovered',
    attempts: [
      { attempt: 1, strategy: 'first', startedAtMs: 0, durationMs: 10, bytes: 100, events: 5 },
      { attempt: 2, strategy: 'continue', startedAtMs: 20, durationMs: 10, bytes: 90, events: 4 },
    ],
    failures: ['socket', 'stall'],
    strategies: ['continue', 'prefill'],
    discardedBytes: 42,
    discardedBlocks: 1,
    addedLatencyMs: 12.6,
    extraInputTokens: 30,
    extraOutputTokens: 4,
    seams: [],
    totalMs: 40,
  };

  it('says what happened in one line: outcome, attempts, failures, strategies, costs', () => {
    expect(summarize(report)).toBe(
      'lifeline: claude-opus-4-6: recovered after 2 attempt(s); failures: socket, ' +
        'stall; strategy: continue -> prefill; discarded 42 B in 1 block(s); added 13 ms; ' +
        'extra tokens in/out 30/4',
    );
  });

  it('names the container kept across attempts', () => {
    expect(summarize({ ...report, containerId: 'container_1' })).toMatch(
      /extra tokens in\/out 30\/4; container container_1 kept$/,
    );
  });

  it('says "none" for no failures or strategies', () => {
    expect(summarize({ ...report, outcome: 'failed', failures: [], strategies: [] })).toContain(
      'failed after 2 attempt(s); failures: none; strategy: none;',
    );
  });

  it('is short for a clean stream', () => {
    expect(summarize({ ...report, outcome: 'clean' })).toBe(
      'lifeline: claude-opus-4-6: completed without failure',
    );
  });
});
