/**
 * The proxy and the cloud platforms: `AnthropicVertex` pointed at the proxy, the proxy's
 * upstream a Vertex AI endpoint (the mock's), gets its `:streamRawPredict` streams resumed with
 * the client's bearer token on every attempt; `AnthropicBedrock` pointed at the proxy is told
 * to use the middleware instead (the proxy cannot re-sign SigV4).
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock } from '../../src/mock/index.js';
import { BEDROCK_REFUSAL } from '../../src/proxy/platforms.js';
import { requireBinary } from '../helpers/binaries.js';
import { bedrockClient, fakeGoogleAuth, vertexClient } from '../helpers/platforms.js';
import { assemble, type Fixture, scenario, startFixture } from './support.js';

const curlAvailable = requireBinary('curl', { command: 'curl', args: ['--version'] });

const base = scenario('plain-long-text');
let fixture: Fixture;

beforeAll(async () => {
  const mock = await startMock({
    scenarios: [{ ...base, faults: {}, message: { ...base.message, model: 'claude-opus-4-6' } }],
  });
  fixture = await startFixture({}, mock);
});

afterAll(async () => {
  await fixture.close();
  await fixture.mock.close();
});

describe('Vertex AI through the proxy', () => {
  it('resumes a :streamRawPredict stream, the model in the path and the client token on every attempt', async () => {
    fixture.mock.reset();
    const auth = fakeGoogleAuth();
    const client = vertexClient(fixture.proxy.url, [], auth);
    const { data: stream, response } = await client.messages
      .stream(
        {
          model: 'claude-opus-4-6@20260101',
          max_tokens: 4096,
          messages: [{ role: 'user', content: 'go' }],
        },
        {
          headers: {
            'x-mock-faults': JSON.stringify({
              '1': { kind: 'drop', afterEvents: 40 },
              '2': { kind: 'error', afterEvents: 20, errorType: 'overloaded_error' },
            }),
          },
        },
      )
      .withResponse();
    const final = await stream.finalMessage();
    expect(final.content).toEqual(base.message.content);
    expect(response.headers.get('x-lifeline')).toBe('protected');
    const records = fixture.mock.requests;
    expect(records.map((r) => [r.platform, r.kind, r.status])).toEqual([
      ['vertex', 'fresh', 200],
      ['vertex', 'continuation', 200],
      ['vertex', 'continuation', 200],
    ]);
    for (const r of records) expect(r.platformModel).toBe('claude-opus-4-6@20260101');
    // The client asked for one token; the proxy passed it through on every attempt.
    expect(auth.calls).toBe(1);
    expect(new Set(records.map((r) => r.credential)).size).toBe(1);
    expect(records[0]?.credential).toMatch(/^bearer sha256:/);
    // Continuations keep anthropic_version and leave the model out of the body, as Vertex wants.
    const raw = records[1]?.body as { messages: unknown[] };
    expect(raw.messages.length).toBeGreaterThan(1);
    expect(fixture.log.text).not.toContain('ya29.fake-token');
  });

  it('forwards :rawPredict unchanged', async () => {
    fixture.mock.reset();
    const client = vertexClient(fixture.proxy.url, []);
    const message = await client.messages.create({
      model: 'claude-opus-4-6@20260101',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'go' }],
    });
    expect(message.content).toEqual(base.message.content);
    expect(fixture.mock.requests.map((r) => [r.platform, r.stream])).toEqual([['vertex', false]]);
  });
});

describe.runIf(curlAvailable)('Vertex AI through the proxy, with curl', () => {
  it('resumes a :streamRawPredict stream for any HTTP client that sends a bearer token', async () => {
    fixture.mock.reset();
    const path =
      '/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-opus-4-6@20260101:streamRawPredict';
    const body = JSON.stringify({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: 4096,
      stream: true,
      messages: [{ role: 'user', content: 'go' }],
    });
    const args = ['-sN', '-X', 'POST', `${fixture.proxy.url}${path}`, '-d', body];
    for (const h of [
      'authorization: Bearer ya29.curl-token',
      'content-type: application/json',
      'x-mock-faults: {"1":{"kind":"drop","afterEvents":33}}',
    ])
      args.push('-H', h);
    const stdout = await new Promise<Buffer>((resolve, reject) => {
      execFile('curl', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    const { message } = assemble(stdout);
    expect(message?.content).toEqual(base.message.content);
    expect(fixture.mock.requests.map((r) => [r.kind, r.platformModel])).toEqual([
      ['fresh', 'claude-opus-4-6@20260101'],
      ['continuation', 'claude-opus-4-6@20260101'],
    ]);
  });
});

describe('Bedrock through the proxy', () => {
  it('is refused with an error that says to use the middleware', async () => {
    fixture.mock.reset();
    const client = bedrockClient(fixture.proxy.url, []);
    const stream = client.messages.stream({
      model: 'anthropic.claude-opus-4-6-v1',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'go' }],
    });
    await expect(stream.finalMessage()).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('lifelineMiddleware'),
    });
    expect(BEDROCK_REFUSAL).toMatch(/SigV4/);
    expect(fixture.mock.requests).toHaveLength(0);
  });
});

describe('metrics', () => {
  it('label platform routes by method, never by project or model', async () => {
    const text = await (await fetch(`${fixture.proxy.url}/metrics`)).text();
    expect(text).toMatch(/path="vertex:streamRawPredict"/);
    expect(text).toMatch(/path="vertex:rawPredict"/);
    expect(text).toMatch(/path="bedrock"/);
    expect(text).not.toContain('lifeline-test');
  });
});
