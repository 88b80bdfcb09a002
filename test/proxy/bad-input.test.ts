/**
 * Bad input from either side: the client gets a clear error in the API's shape, the proxy
 * keeps serving (a good request right after succeeds), and the log never holds the API key.
 */
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, startProxy } from '../../src/proxy/index.js';
import { rawExchange } from '../helpers/raw-http.js';
import {
  API_KEY,
  assemble,
  type CustomUpstream,
  type Fixture,
  LogCapture,
  mockHeaders,
  requestBody,
  startCustomUpstream,
  startFixture,
} from './support.js';

const PLAIN = 'plain-long-text';
const LIMIT = 1024 * 1024;

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ maxBodyBytes: LIMIT, maxAttempts: 2 });
});
afterAll(async () => {
  await fx.close();
  expect(fx.log.text).not.toContain(API_KEY);
});

interface ApiError {
  type: string;
  error: { type: string; message: string };
}

async function send(url: string, init: Parameters<typeof request>[1]) {
  const res = await request(url, init);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** A good streaming request through `proxy` completes. */
async function expectStillServing(proxy: ProxyServer = fx.proxy) {
  const res = await send(`${proxy.url}/v1/messages`, {
    method: 'POST',
    headers: mockHeaders(PLAIN, {}),
    body: requestBody(PLAIN),
  });
  expect(res.status).toBe(200);
  expect(assemble(res.text).message?.stop_reason).toBe('end_turn');
}

describe('bad requests from the client', () => {
  it('answers a malformed JSON body with 400 invalid_request_error', async () => {
    const res = await send(`${fx.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"model": "claude-opus-4-6", "messages": [',
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as ApiError;
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^lifeline: the request body is not valid JSON/);
    await expectStillServing();
  });

  it('answers a body over the limit with 413 request_too_large', async () => {
    const res = await send(`${fx.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: `{"pad":"${'x'.repeat(LIMIT + 10)}"}`,
    });
    expect(res.status).toBe(413);
    expect((JSON.parse(res.text) as ApiError).error.type).toBe('request_too_large');
    expect((JSON.parse(res.text) as ApiError).error.message).toContain(String(LIMIT));
    await expectStillServing();
  });

  it('answers 413 at once when the declared length is over the limit', async () => {
    const socket = connect(fx.proxy.port, '127.0.0.1');
    socket.write(
      `POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${40 * LIMIT}\r\n\r\n{"a":`,
    );
    const [first] = (await new Promise((resolve) => socket.once('data', (c) => resolve([c])))) as [
      Buffer,
    ];
    socket.destroy();
    expect(String(first)).toMatch(/^HTTP\/1.1 413/);
    await expectStillServing();
  });

  it('answers GET /v1/messages with 405 and the allowed method', async () => {
    const res = await send(`${fx.proxy.url}/v1/messages`, { headers: { 'x-api-key': API_KEY } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect((JSON.parse(res.text) as ApiError).error.message).toMatch(
      /GET \/v1\/messages is not supported/,
    );
  });

  it('answers POST /healthz with 405 (a proxy-local path, never forwarded)', async () => {
    const before = fx.mock.requests.length;
    const res = await send(`${fx.proxy.url}/healthz`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(fx.mock.requests.length).toBe(before);
  });

  it('answers garbage on a raw socket with 400 and keeps serving', async () => {
    const reply = await rawExchange(fx.proxy.port, 'HELLO THERE\r\n\u0000\u0001\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1.1 400 Bad Request/);
    expect(reply).toContain('"type":"invalid_request_error"');
    await expectStillServing();
  });

  it('survives a client that disconnects in the middle of its request body', async () => {
    const before = fx.mock.requests.length;
    const socket = connect(fx.proxy.port, '127.0.0.1');
    socket.write(
      'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"model":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fx.mock.requests.length).toBe(before);
    expect(fx.proxy.activeRequests).toBe(0);
    await expectStillServing();
  });

  it('forwards a JSON body the engine cannot use, so the API answers it', async () => {
    const res = await send(`${fx.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: mockHeaders(PLAIN, {}),
      body: JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, messages: [] }),
    });
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as ApiError).error.message).toMatch(/max_tokens/);
  });
});

describe('bad responses from the upstream', () => {
  let up: CustomUpstream;
  let proxy: ProxyServer;
  const log = new LogCapture();
  let mode: 'not-json' | 'html' | 'good' | 'die-mid-stream' = 'good';
  const good = () => Buffer.concat([...fx.mock.renderedEvents(PLAIN)]);

  beforeAll(async () => {
    up = await startCustomUpstream((_req, res) => {
      if (mode === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>captive portal</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (mode === 'not-json') {
        res.end('event: message_start\ndata: {this is not json\n\n');
        return;
      }
      const events = good();
      if (mode === 'die-mid-stream') {
        // Half the stream, then an event whose data is garbage.
        res.end(
          Buffer.concat([
            events.subarray(0, 4_000),
            Buffer.from('\n\nevent: content_block_delta\ndata: %%%\n\n'),
          ]),
        );
        return;
      }
      res.end(events);
    });
    proxy = await startProxy({
      port: 0,
      upstream: up.url,
      maxAttempts: 2,
      baseDelayMs: 1,
      logLevel: 'debug',
      logDestination: log,
      processMetrics: false,
    });
  });
  afterAll(async () => {
    await proxy.close(100);
    await up.close();
  });
  afterEach(() => {
    mode = 'good';
    expect(log.text).not.toContain(API_KEY);
  });

  async function streamRequest() {
    return send(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: requestBody(PLAIN),
    });
  }

  it('answers 502 with an explanation when every attempt gets malformed SSE', async () => {
    mode = 'not-json';
    const res = await streamRequest();
    expect(res.status).toBe(502);
    const body = JSON.parse(res.text) as ApiError;
    expect(body.error.type).toBe('api_error');
    expect(body.error.message).toMatch(/lifeline: .*not JSON/);
    mode = 'good';
    await expectStillServing(proxy);
  });

  it('answers 502 when a streaming request gets a 200 that is not an event stream', async () => {
    mode = 'html';
    const res = await streamRequest();
    expect(res.status).toBe(502);
    expect((JSON.parse(res.text) as ApiError).error.message).toMatch(
      /answered a streaming request with status 200 and content-type text\/html/,
    );
    mode = 'good';
    await expectStillServing(proxy);
  });

  it('ends with an SSE error event when malformed SSE arrives mid-stream and cannot be resumed', async () => {
    mode = 'die-mid-stream';
    const res = await streamRequest();
    expect(res.status).toBe(200);
    const result = assemble(res.text);
    expect(result.error?.type).toBe('api_error');
    expect(result.error?.message).toMatch(/^lifeline: /);
    mode = 'good';
    await expectStillServing(proxy);
  });
});
