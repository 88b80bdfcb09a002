/**
 * The mock's Vertex AI and Bedrock routes on the wire, with plain fetch and a SigV4 signer of
 * our own (the platform SDKs have their own tests in test/integrations/): the path carries
 * the model, the body `anthropic_version`, errors have each platform's shape, Bedrock's
 * stream is event-stream frames whose in-stream errors are exception frames, and a signature
 * that does not cover the body sent is refused.
 */
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/mock/platforms/index.js';
import { useMock } from '../helpers/mock.js';
import { FAKE_AWS } from '../helpers/platforms.js';

const mock = useMock({ platforms: { bedrock: { credentials: FAKE_AWS } } });

const BODY = { max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const VERTEX_PATH =
  '/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-opus-4-6%4020260101';

function vertexPost(
  method: 'streamRawPredict' | 'rawPredict',
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${mock.url}${VERTEX_PATH}:${method}`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer ya29.test-token',
      'content-type': 'application/json',
      'x-mock-scenario': 'plain-long-text',
      'x-mock-faults': '{}',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** Signs like the Bedrock SDK; `tamper` changes the body after signing. */
async function bedrockPost(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  tamper?: (signed: string) => string,
) {
  const url = new URL(`${mock.url}${path}`);
  const text = JSON.stringify(body);
  const signer = new SignatureV4({
    service: 'bedrock',
    region: 'us-east-1',
    credentials: FAKE_AWS,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    path: url.pathname,
    query: {},
    headers: {
      host: url.host,
      'content-type': 'application/json',
      'x-mock-scenario': 'plain-long-text',
      'x-mock-faults': '{}',
      ...headers,
    },
    body: text,
  });
  return fetch(url, {
    method: 'POST',
    headers: signed.headers,
    body: tamper === undefined ? text : tamper(text),
  });
}

const BEDROCK_BODY = { ...BODY, anthropic_version: 'bedrock-2023-05-31' };
const BEDROCK_STREAM = '/model/anthropic.claude-opus-4-6-v1/invoke-with-response-stream';

describe('Vertex AI routes', () => {
  it('streams the scenario as SSE for :streamRawPredict, the model from the path', async () => {
    const res = await vertexPost('streamRawPredict', {
      ...BODY,
      anthropic_version: 'vertex-2023-10-16',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.startsWith('event: message_start\n')).toBe(true);
    expect(text.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);
    const [record] = mock.server.requests;
    expect(record?.platform).toBe('vertex');
    expect(record?.platformModel).toBe('claude-opus-4-6@20260101');
    expect(record?.credential).toMatch(/^bearer sha256:[0-9a-f]{12}$/);
    expect(JSON.stringify(record)).not.toContain('ya29.test-token');
  });

  it('answers :rawPredict with the message as JSON', async () => {
    const res = await vertexPost('rawPredict', { ...BODY, anthropic_version: 'vertex-2023-10-16' });
    expect(res.status).toBe(200);
    const message = (await res.json()) as { type: string; content: unknown[] };
    expect(message.type).toBe('message');
    expect(message.content.length).toBeGreaterThan(0);
  });

  it('refuses a body without anthropic_version, Anthropic-shaped', async () => {
    const res = await vertexPost('streamRawPredict', BODY);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic_version: Field required' },
    });
  });

  it('refuses a request without a bearer token, Google-shaped', async () => {
    const res = await vertexPost(
      'streamRawPredict',
      { ...BODY, anthropic_version: 'vertex-2023-10-16' },
      { authorization: '' },
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });

  it('sends a 429 fault as RESOURCE_EXHAUSTED and a 529 as the model overloaded', async () => {
    const body = { ...BODY, anthropic_version: 'vertex-2023-10-16' };
    const quota = await vertexPost('streamRawPredict', body, {
      'x-mock-faults': '{"kind":"http","status":429,"headers":{"retry-after":"0"}}',
    });
    expect(quota.status).toBe(429);
    expect(quota.headers.get('retry-after')).toBe('0');
    expect(await quota.json()).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: expect.stringMatching(/^Quota exceeded/),
      },
    });
    const overloaded = await vertexPost('streamRawPredict', body, {
      'x-mock-faults': '{"kind":"http","status":529}',
      'x-mock-run': 'overloaded',
    });
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});

describe('Bedrock routes', () => {
  it('streams event-stream frames, one chunk per Messages event, with invocation metrics at the end', async () => {
    const res = await bedrockPost(BEDROCK_STREAM, BEDROCK_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames.length).toBe(mock.server.renderedEvents('plain-long-text').length);
    const events = frames.map((f) => {
      expect(f.headers).toMatchObject({ ':event-type': 'chunk', ':message-type': 'event' });
      const { bytes } = JSON.parse(f.body) as { bytes: string };
      return JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')) as Record<string, unknown>;
    });
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)).toMatchObject({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': { inputTokenCount: expect.any(Number) },
    });
    expect(mock.server.requests[0]?.credential).toMatch(
      /^sigv4 AKIA… us-east-1\/bedrock verified$/,
    );
  });

  it('sends an error fault inside the stream as an exception frame', async () => {
    const res = await bedrockPost(BEDROCK_STREAM, BEDROCK_BODY, {
      'x-mock-faults': '{"kind":"error","afterEvents":3,"errorType":"overloaded_error"}',
    });
    const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames).toHaveLength(4);
    expect(frames[3]?.headers).toMatchObject({
      ':message-type': 'exception',
      ':exception-type': 'modelStreamErrorException',
    });
    expect(JSON.parse(frames[3]?.body ?? '{}')).toMatchObject({ originalStatusCode: 529 });
  });

  it('cuts a drop inside a binary frame: whole frames, then part of the next', async () => {
    const frameLengths = mock.server
      .renderedEvents('plain-long-text', 'bedrock')
      .map((f) => f.length);
    const res = await bedrockPost(BEDROCK_STREAM, BEDROCK_BODY, {
      'x-mock-faults': '{"kind":"drop","event":5,"bytes":7}',
    });
    const reader = res.body!.getReader();
    let received = 0;
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += value.length;
        }
      })(),
    ).rejects.toThrow(/terminated/);
    expect(received).toBe(frameLengths.slice(0, 5).reduce((a, b) => a + b, 0) + 7);
    expect(mock.server.requests[0]?.sse?.outcome).toBe('dropped');
  });

  it('refuses model and stream in the body as extraneous keys, with ValidationException', async () => {
    const res = await bedrockPost(BEDROCK_STREAM, { ...BEDROCK_BODY, model: 'x' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
    expect(await res.json()).toEqual({
      message:
        'Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.',
    });
  });

  it('refuses a body changed after it was signed', async () => {
    const res = await bedrockPost(BEDROCK_STREAM, BEDROCK_BODY, {}, (text) =>
      text.replace('"hi"', '"ho"'),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^InvalidSignatureException:/);
    expect(mock.server.requests[0]?.validation).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
    });
  });

  it('refuses a signature made with another secret', async () => {
    const url = new URL(`${mock.url}${BEDROCK_STREAM}`);
    const signer = new SignatureV4({
      service: 'bedrock',
      region: 'us-east-1',
      credentials: { ...FAKE_AWS, secretAccessKey: 'not-the-secret' },
      sha256: Hash.bind(null, 'sha256'),
    });
    const text = JSON.stringify(BEDROCK_BODY);
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'x-mock-scenario': 'plain-long-text' },
      body: text,
    });
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body: text });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: expect.stringMatching(/signature we calculated/) });
  });

  it('sends HTTP faults as the exception their status stands for', async () => {
    const res = await bedrockPost(BEDROCK_STREAM, BEDROCK_BODY, {
      'x-mock-faults': '{"kind":"http","status":429}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException:/);
    expect(await res.json()).toEqual({
      message: 'Too many requests, please wait before trying again.',
    });
  });

  it('answers an error fault on /invoke in Bedrock shape', async () => {
    const res = await bedrockPost('/model/anthropic.claude-opus-4-6-v1/invoke', BEDROCK_BODY, {
      'x-mock-faults': '{"kind":"error","afterEvents":0,"errorType":"overloaded_error"}',
    });
    expect(res.status).toBe(529);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ServiceUnavailableException:/);
    expect(await res.json()).toEqual({ message: 'Overloaded' });
  });

  it('answers /invoke with the message as JSON', async () => {
    const res = await bedrockPost('/model/anthropic.claude-opus-4-6-v1/invoke', BEDROCK_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-bedrock-input-token-count')).not.toBeNull();
    expect(((await res.json()) as { type: string }).type).toBe('message');
  });
});
