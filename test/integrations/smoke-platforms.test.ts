import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { SCENARIOS_DIR, useMock } from '../helpers/mock.js';

const creds = { accessKeyId: 'AKIDEXAMPLEFAKE00001', secretAccessKey: 'fake/secret/for/tests/only/0000000000000' };
const mock = useMock({ platforms: { bedrock: { credentials: creds } } });

it('bedrock', async () => {
  const client = new AnthropicBedrock({
    awsAccessKey: creds.accessKeyId,
    awsSecretKey: creds.secretAccessKey,
    awsRegion: 'us-east-1',
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [lifelineMiddleware({ logger: false, policy: { baseDelayMs: 1, maxDelayMs: 2 } })],
  });
  const stream = client.messages.stream(
    { model: 'anthropic.claude-opus-4-6-v1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-mock-scenario': 'plain-long-text', 'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', event: 30, bytes: 20 }, '2': {kind:'error', afterEvents: 10, errorType: 'overloaded_error'} }) } },
  );
  const m = await stream.finalMessage();
  console.log(JSON.stringify(m).slice(0, 300));
  console.log(mock.server.requests.map((r) => [r.status, r.kind, r.credential, r.validation, r.sse, r.platform]));
});

it('vertex', async () => {
  let n = 0;
  const client = new AnthropicVertex({
    region: 'us-east5',
    projectId: 'proj',
    baseURL: `${mock.url}/v1`,
    authClient: { projectId: 'proj', getRequestHeaders: async () => new Headers({ authorization: `Bearer ya29.fake-${++n}` }) } as never,
    maxRetries: 0,
    middleware: [lifelineMiddleware({ logger: false, policy: { baseDelayMs: 1, maxDelayMs: 2 } })],
  });
  const stream = client.messages.stream(
    { model: 'claude-opus-4-6@20260101', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-mock-scenario': 'plain-long-text', 'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', event: 30, bytes: 20 }, '2': {kind:'http', status: 429, headers: {'retry-after': '0'}} }) } },
  );
  const m = await stream.finalMessage();
  console.log(JSON.stringify(m).slice(0, 300));
  console.log(mock.server.requests.map((r) => [r.status, r.kind, r.credential, r.validation, r.sse, r.platform]));
});
