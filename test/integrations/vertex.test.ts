/**
 * `AnthropicVertex` (@anthropic-ai/vertex-sdk) with `lifelineMiddleware`, against the mock's
 * Vertex AI routes: the fault matrix slice (platform-matrix.ts). Google auth is a fake auth
 * client that mints a new token on every call, so that a token per attempt proves every
 * attempt went through the SDK's backend middleware; nothing reaches Google.
 */
import { describe } from 'vitest';
import type { MockRequestRecord } from '../../src/mock/index.js';
import { vertexClient } from '../helpers/platforms.js';
import { type PlatformClient, platformMatrix } from './platform-matrix.js';

function checkCredentials(records: MockRequestRecord[]): string | undefined {
  const tokens = records.map((r) => r.credential);
  if (tokens.some((t) => t === undefined)) return 'an attempt without a bearer token';
  if (new Set(tokens).size !== tokens.length) return `a token was reused: ${tokens.join(', ')}`;
  return undefined;
}

describe('Vertex AI: fault matrix slice through AnthropicVertex', () => {
  platformMatrix({
    name: 'vertex',
    models: { continue: 'claude-opus-4-6@20260101', prefill: 'claude-opus-4-1@20250805' },
    streamErrors: ['api_error', 'overloaded_error'],
    client: (url, middleware) => vertexClient(url, middleware) as unknown as PlatformClient,
    checkCredentials,
  });
});
