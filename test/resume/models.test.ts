import { describe, expect, it } from 'vitest';
import {
  isPrefillRefusal,
  ModelTable,
  modelGeneration,
  PREFILL_REFUSED_MESSAGE,
} from '../../src/resume/index.js';

describe('model table: which continuation form a model accepts', () => {
  it.each([
    ['claude-opus-4-6', 'continue'],
    ['claude-sonnet-4-6', 'continue'],
    ['claude-opus-4-7-20260101', 'continue'],
    ['claude-opus-5', 'continue'],
    ['claude-sonnet-4-5', 'prefill'],
    ['claude-sonnet-4-5-20250929', 'prefill'],
    ['claude-opus-4-1-20250805', 'prefill'],
    ['claude-sonnet-4-20250514', 'prefill'],
    ['claude-3-7-sonnet-20250219', 'prefill'],
    ['claude-3-5-haiku-latest', 'prefill'],
    ['some-future-model', 'continue'],
  ])('%s -> %s', (model, form) => {
    expect(new ModelTable().formFor(model)).toBe(form);
  });

  it('parses dated ids without mistaking the date for a minor version', () => {
    expect(modelGeneration('claude-sonnet-4-20250514')).toEqual({ major: 4, minor: 0 });
  });

  it('uses the continuation turn when extended thinking is enabled', () => {
    expect(new ModelTable().formFor('claude-sonnet-4-5', true)).toBe('continue');
  });

  it('learns at run time that a model refuses prefill', () => {
    const table = new ModelTable();
    table.markPrefillRefused('claude-sonnet-4-5');
    expect(table.formFor('claude-sonnet-4-5')).toBe('continue');
    expect(table.formFor('claude-opus-4-1')).toBe('prefill');
  });

  it('recognises the API refusal message', () => {
    expect(isPrefillRefusal(PREFILL_REFUSED_MESSAGE)).toBe(true);
    expect(isPrefillRefusal('max_tokens: field required')).toBe(false);
  });
});
