/**
 * Real platform clients pointed at the mock, with credentials that never leave this machine:
 * `AnthropicBedrock` with static fake AWS keys (the mock can verify their SigV4 signatures),
 * `AnthropicVertex` with a fake Google auth client that mints a new token on every call.
 */
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import type { Middleware } from '@anthropic-ai/sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';

/** AWS's documented example keys: nothing signed with them reaches AWS. */
export const FAKE_AWS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export function bedrockClient(
  baseURL: string,
  middleware: Middleware[],
  options: { maxRetries?: number } = {},
): AnthropicBedrock {
  return new AnthropicBedrock({
    awsAccessKey: FAKE_AWS.accessKeyId,
    awsSecretKey: FAKE_AWS.secretAccessKey,
    awsRegion: 'us-east-1',
    baseURL,
    maxRetries: options.maxRetries ?? 0,
    middleware,
  });
}

/** A Google auth client stand-in: `ya29.fake-token-N` on every call, the calls counted. */
export interface FakeGoogleAuth {
  calls: number;
  projectId: string;
  getRequestHeaders(): Promise<Headers>;
}

export function fakeGoogleAuth(projectId = 'lifeline-test'): FakeGoogleAuth {
  const auth: FakeGoogleAuth = {
    calls: 0,
    projectId,
    async getRequestHeaders() {
      auth.calls++;
      return new Headers({ authorization: `Bearer ya29.fake-token-${auth.calls}` });
    },
  };
  return auth;
}

type VertexAuthClient = NonNullable<ConstructorParameters<typeof AnthropicVertex>[0]>['authClient'];

export function vertexClient(
  baseURL: string,
  middleware: Middleware[],
  auth: FakeGoogleAuth = fakeGoogleAuth(),
  options: { maxRetries?: number } = {},
): AnthropicVertex {
  return new AnthropicVertex({
    region: 'us-east5',
    projectId: auth.projectId,
    baseURL: `${baseURL}/v1`,
    // The SDK takes a google-auth-library AuthClient and only calls getRequestHeaders().
    authClient: auth as unknown as VertexAuthClient,
    maxRetries: options.maxRetries ?? 0,
    middleware,
  });
}
