/**
 * `AnthropicBedrock` (@anthropic-ai/bedrock-sdk) with `lifelineMiddleware`, against the mock's
 * Bedrock routes: the fault matrix slice (platform-matrix.ts), with the mock recomputing every
 * attempt's SigV4 signature over the body it received.
 */
import { describe } from 'vitest';
import type { MockRequestRecord } from '../../src/mock/index.js';
import { bedrockClient, FAKE_AWS } from '../helpers/platforms.js';
import { type PlatformClient, platformMatrix } from './platform-matrix.js';

function checkCredentials(records: MockRequestRecord[]): string | undefined {
  const unsigned = records.filter((r) => r.validation.ok && !r.credential?.endsWith('verified'));
  if (unsigned.length > 0)
    return `attempts ${unsigned.map((r) => r.attempt).join(', ')} not verified`;
  return undefined;
}

describe('Bedrock: fault matrix slice through AnthropicBedrock', () => {
  platformMatrix({
    name: 'bedrock',
    models: {
      continue: 'us.anthropic.claude-opus-4-6-v1',
      prefill: 'anthropic.claude-opus-4-1-20250805-v1:0',
    },
    streamErrors: [
      'serviceUnavailableException',
      'throttlingException',
      'internalServerException',
      'modelTimeoutException',
    ],
    client: (url, middleware) => bedrockClient(url, middleware) as unknown as PlatformClient,
    checkCredentials,
    mockOptions: { platforms: { bedrock: { credentials: FAKE_AWS } } },
  });
});
