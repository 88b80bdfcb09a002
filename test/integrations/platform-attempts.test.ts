/**
 * What the middleware does on each attempt through the platform clients: the platform SDK's
 * backend middleware runs on every attempt (a new Google token each time; a SigV4 signature
 * over each continuation body as sent), a prefill refusal in the platform's error shape is
 * learned, a non-retryable stream exception reaches the caller, and calls the middleware does
 * not protect go through untouched.
 */
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { ModelTable, type RecoveryReport } from '../../src/resume/index.js';
import { fixtureScenario, useMock } from '../helpers/mock.js';
import { bedrockClient, FAKE_AWS, fakeGoogleAuth, vertexClient } from '../helpers/platforms.js';

const base = fixtureScenario('plain-long-text');
const mock = useMock({
  scenarios: [
    { ...base, name: 'modern', faults: {}, message: { ...base.message, model: 'claude-opus-4-6' } },
    // A model the table places on the prefill side, which refuses it all the same.
    {
      ...base,
      name: 'refuses-prefill',
      faults: {},
      prefill: 'refused',
      message: { ...base.message, model: 'claude-sonnet-4-5' },
    },
  ],
  platforms: { bedrock: { credentials: FAKE_AWS } },
});

function middleware(reports: RecoveryReport[]) {
  return lifelineMiddleware({
    logger: false,
    onReport: (r) => reports.push(r),
    keepAliveMs: 0,
    models: new ModelTable(),
    policy: { baseDelayMs: 1, maxDelayMs: 5 },
  });
}

const ask = { max_tokens: 4096, messages: [{ role: 'user' as const, content: 'go' }] };
const twoDrops = JSON.stringify({
  '1': { kind: 'drop', afterEvents: 40 },
  '2': { kind: 'drop', event: 30, bytes: 9 },
});

describe('Vertex AI: every attempt through the SDK backend middleware', () => {
  it('asks Google auth for a token on every attempt, and every attempt carries its own', async () => {
    const auth = fakeGoogleAuth();
    const reports: RecoveryReport[] = [];
    const client = vertexClient(mock.url, [middleware(reports)], auth);
    const final = await client.messages
      .stream(
        { ...ask, model: 'claude-opus-4-6@20260101' },
        { headers: { 'x-mock-scenario': 'modern', 'x-mock-faults': twoDrops } },
      )
      .finalMessage();
    expect(final.content).toEqual(base.message.content);
    const records = mock.server.requests;
    expect(records.map((r) => r.kind)).toEqual(['fresh', 'continuation', 'continuation']);
    expect(auth.calls).toBe(3);
    expect(new Set(records.map((r) => r.credential)).size).toBe(3);
    // The wire shape is Vertex's on every attempt: the model in the path, not the body.
    for (const r of records) expect(r.platformModel).toBe('claude-opus-4-6@20260101');
    expect(reports[0]?.outcome).toBe('recovered');
  });

  it('learns a prefill refusal from the model and resumes with the continuation turn', async () => {
    const client = vertexClient(mock.url, [middleware([])]);
    const final = await client.messages
      .stream(
        { ...ask, model: 'claude-sonnet-4-5@20250929' },
        {
          headers: {
            'x-mock-scenario': 'refuses-prefill',
            'x-mock-faults': '{"kind":"drop","afterEvents":40}',
          },
        },
      )
      .finalMessage();
    expect(final.content).toEqual(base.message.content);
    expect(mock.server.requests.map((r) => [r.kind, r.status])).toEqual([
      ['fresh', 200],
      ['prefill', 400],
      ['continuation', 200],
    ]);
  });
});

describe('Bedrock: every attempt through the SDK backend middleware', () => {
  it('signs every continuation body as sent: the mock recomputes each signature', async () => {
    const reports: RecoveryReport[] = [];
    const client = bedrockClient(mock.url, [middleware(reports)]);
    const final = await client.messages
      .stream(
        { ...ask, model: 'us.anthropic.claude-opus-4-6-v1' },
        { headers: { 'x-mock-scenario': 'modern', 'x-mock-faults': twoDrops } },
      )
      .finalMessage();
    expect(final.content).toEqual(base.message.content);
    const records = mock.server.requests;
    expect(records.map((r) => r.kind)).toEqual(['fresh', 'continuation', 'continuation']);
    for (const r of records) {
      expect(r.credential).toBe('sigv4 AKIA… us-east-1/bedrock verified');
      expect(r.platformModel).toBe('us.anthropic.claude-opus-4-6-v1');
    }
    // Three different bodies, each signed as it was sent.
    expect(new Set(records.map((r) => JSON.stringify(r.body))).size).toBe(3);
    expect(reports[0]?.attempts).toHaveLength(3);
  });

  it('learns a prefill refusal in ValidationException shape', async () => {
    const client = bedrockClient(mock.url, [middleware([])]);
    const final = await client.messages
      .stream(
        { ...ask, model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
        {
          headers: {
            'x-mock-scenario': 'refuses-prefill',
            'x-mock-faults': '{"kind":"drop","afterEvents":40}',
          },
        },
      )
      .finalMessage();
    expect(final.content).toEqual(base.message.content);
    expect(mock.server.requests.map((r) => [r.kind, r.status])).toEqual([
      ['fresh', 200],
      ['prefill', 400],
      ['continuation', 200],
    ]);
  });

  it('resumes after each retryable exception inside the stream', async () => {
    for (const errorType of [
      'modelStreamErrorException',
      'serviceUnavailableException',
      'throttlingException',
      'internalServerException',
      'modelTimeoutException',
    ]) {
      mock.server.reset();
      const reports: RecoveryReport[] = [];
      const client = bedrockClient(mock.url, [middleware(reports)]);
      const final = await client.messages
        .stream(
          { ...ask, model: 'anthropic.claude-opus-4-6-v1' },
          {
            headers: {
              'x-mock-scenario': 'modern',
              'x-mock-faults': JSON.stringify({ kind: 'error', afterEvents: 50, errorType }),
            },
          },
        )
        .finalMessage();
      expect(final.content).toEqual(base.message.content);
      expect(reports[0]?.attempts[0]?.failure).toMatchObject({ kind: 'error-event' });
      expect(reports[0]?.attempts[0]?.failure?.message).toContain(errorType);
    }
  });

  it('resumes after the body ends cleanly inside a frame (Truncated event message received)', async () => {
    let calls = 0;
    // The first response's body ends 7 bytes into its 31st frame, without a socket error.
    const truncating = async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (++calls > 1 || response.body === null) return response;
      const frames = mock.server.renderedEvents('modern', 'bedrock');
      const keep = frames.slice(0, 30).reduce((n, f) => n + f.length, 0) + 7;
      const bytes = new Uint8Array(await response.arrayBuffer()).subarray(0, keep);
      return new Response(new Blob([bytes]).stream(), response);
    };
    const reports: RecoveryReport[] = [];
    const client = new AnthropicBedrock({
      awsAccessKey: FAKE_AWS.accessKeyId,
      awsSecretKey: FAKE_AWS.secretAccessKey,
      awsRegion: 'us-east-1',
      baseURL: mock.url,
      maxRetries: 0,
      fetch: truncating,
      middleware: [middleware(reports)],
    });
    const final = await client.messages
      .stream(
        { ...ask, model: 'anthropic.claude-opus-4-6-v1' },
        { headers: { 'x-mock-scenario': 'modern', 'x-mock-faults': '{}' } },
      )
      .finalMessage();
    expect(final.content).toEqual(base.message.content);
    expect(reports[0]?.attempts[0]?.failure).toMatchObject({
      kind: 'socket',
      message: expect.stringContaining('Truncated event message received'),
    });
    expect(mock.server.requests.map((r) => r.kind)).toEqual(['fresh', 'continuation']);
  });

  it('hands a validationException inside the stream to the caller', async () => {
    const client = bedrockClient(mock.url, [middleware([])]);
    const stream = client.messages.stream(
      { ...ask, model: 'anthropic.claude-opus-4-6-v1' },
      {
        headers: {
          'x-mock-scenario': 'modern',
          'x-mock-faults': '{"kind":"error","afterEvents":50,"errorType":"validationException"}',
        },
      },
    );
    await expect(stream.finalMessage()).rejects.toThrow(/validationException/);
    expect(mock.server.requests).toHaveLength(1);
  });

  it('leaves a non-streaming call alone', async () => {
    const client = bedrockClient(mock.url, [middleware([])]);
    const { data, response } = await client.messages
      .create(
        { ...ask, model: 'anthropic.claude-opus-4-6-v1' },
        { headers: { 'x-mock-scenario': 'modern' } },
      )
      .withResponse();
    expect(data.content).toEqual(base.message.content);
    expect(response.headers.get('x-lifeline')).toBeNull();
    expect(mock.server.requests[0]?.stream).toBe(false);
  });
});
