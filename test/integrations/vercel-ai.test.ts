/**
 * The fetch wrapper with the real Vercel AI SDK: `createAnthropic({ fetch: lifelineFetch() })`
 * and `streamText` against the seed-shaped scenario (claude-opus-4-6, code execution + skills,
 * socket closed 20 bytes into a text_editor_code_execution input after 38 blocks).
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineFetch } from '../../src/integrations/index.js';
import { loadScenarios, type MockServer, type Scenario, startMock } from '../../src/mock/index.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { SCENARIOS_DIR } from '../helpers/mock.js';

let mock: MockServer;
let seed: Scenario;

beforeAll(async () => {
  seed = loadScenarios(SCENARIOS_DIR).find(
    (s) => s.name === 'seed-opus-4-6-code-execution',
  ) as Scenario;
  mock = await startMock({ scenarios: [seed] });
});
afterAll(async () => {
  await mock.close();
});

function scenarioText(): string {
  return seed.message.content
    .filter((b): b is Extract<typeof b, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
}

async function run(fetchImpl: typeof fetch, run: string) {
  const anthropic = createAnthropic({
    apiKey: 'test-key',
    baseURL: `${mock.url}/v1`,
    fetch: fetchImpl,
    headers: { 'x-mock-run': run, 'anthropic-beta': seed.betas.join(',') },
  });
  const result = streamText({
    model: anthropic(seed.message.model),
    prompt: 'Build the report.',
    maxRetries: 0,
  });
  let text = '';
  let error: unknown;
  try {
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') text += part.text;
      if (part.type === 'error') error = part.error;
    }
  } catch (err) {
    error = err;
  }
  return { text, error };
}

describe('fetch wrapper with the Vercel AI SDK', () => {
  it('without lifeline the seed scenario fails mid-stream', async () => {
    const { error, text } = await run(fetch, 'vercel-plain');
    expect(error).toBeDefined();
    expect(text.length).toBeLessThan(scenarioText().length);
  });

  it('with lifelineFetch the seed scenario completes, reusing the container', async () => {
    const reports: RecoveryReport[] = [];
    const { error, text } = await run(
      lifelineFetch({ logger: false, onReport: (r) => reports.push(r) }) as typeof fetch,
      'vercel-lifeline',
    );
    expect(error).toBeUndefined();
    expect(text).toBe(scenarioText());
    expect(reports[0]?.outcome).toBe('recovered');
    expect(reports[0]?.containerId).toBe(seed.message.container?.id);
    const continuation = mock.requests.filter(
      (r) => r.runId === 'vercel-lifeline' && r.attempt === 2,
    )[0];
    expect(continuation?.kind).toBe('continuation');
    expect(continuation?.containerReused).toBe(true);
  });
});
