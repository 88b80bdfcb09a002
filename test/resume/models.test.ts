import { describe, expect, it } from 'vitest';
import {
  canonicalModel,
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

describe('platform model ids map onto the model table', () => {
  it.each([
    // Bedrock: foundation models, cross-region inference profiles, ARNs
    ['anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['anthropic.claude-opus-4-6-v1:0', 'claude-opus-4-6'],
    ['us.anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5-20250929'],
    ['us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0', 'claude-3-5-sonnet-20240620'],
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet-20241022'],
    [
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1',
      'claude-opus-4-6',
    ],
    [
      'arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-1-20250805-v1:0',
      'claude-opus-4-1-20250805',
    ],
    // Vertex AI: @date, @latest, a -v2 revision before it
    ['claude-opus-4-6@20260101', 'claude-opus-4-6'],
    ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'],
    ['claude-sonnet-4-5@latest', 'claude-sonnet-4-5'],
    // surrounding whitespace (an id from a config file or an environment variable)
    ['  us.anthropic.claude-opus-4-6-v1\n', 'claude-opus-4-6'],
    [' claude-opus-4-6@20260101 ', 'claude-opus-4-6'],
    // unchanged: first-party ids and what names no model
    ['claude-opus-4-6', 'claude-opus-4-6'],
    ['@20260101', '@20260101'],
    ['claude-opus-4-6-v1', 'claude-opus-4-6-v1'],
    [
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6',
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6',
    ],
  ])('%s is %s', (platformId, canonical) => {
    expect(canonicalModel(platformId)).toBe(canonical);
  });

  it.each([
    ['anthropic.claude-opus-4-6-v1', 'continue'],
    ['us.anthropic.claude-opus-4-6-v1', 'continue'],
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'prefill'],
    ['eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 'prefill'],
    [
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-1-20250805-v1:0',
      'prefill',
    ],
    ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3', 'continue'],
    ['claude-opus-4-6@20260101', 'continue'],
    ['claude-sonnet-4-5@20250929', 'prefill'],
    ['claude-3-5-sonnet-v2@20241022', 'prefill'],
  ])('%s -> %s', (model, form) => {
    expect(new ModelTable().formFor(model)).toBe(form);
  });

  it('reads the generation through the platform decoration', () => {
    expect(modelGeneration('us.anthropic.claude-sonnet-4-20250514-v1:0')).toEqual({
      major: 4,
      minor: 0,
    });
    expect(modelGeneration('claude-opus-4-1@20250805')).toEqual({ major: 4, minor: 1 });
  });

  it('remembers a refusal for the platform id it was learned on', () => {
    const table = new ModelTable();
    table.markPrefillRefused('anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(table.formFor('anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('continue');
    expect(table.formFor('claude-sonnet-4-5@20250929')).toBe('prefill');
  });
});
