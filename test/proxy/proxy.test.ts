/**
 * The proxy's behaviour, one behaviour per test, against the scenario mock (and a hand-written
 * upstream where the mock cannot misbehave the way a test needs).
 */
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../src/proxy/index.js';
import { metric } from '../helpers/metrics.js';
import { rawExchange } from '../helpers/raw-http.js';
import {
  API_KEY,
  assemble,
  type Fixture,
  mockHeaders,
  requestBody,
  SEED,
  scenario,
  startCustomUpstream,
  startFixture,
  strip,
} from './support.js';

const PLAIN = 'plain-long-text';
/** A drop in the middle of the text of plain-long-text (model claude-sonnet-4-5). */
const DROP_MID_TEXT = { kind: 'drop', event: 30, bytes: 25 };

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ keepAliveMs: 20 });
});
afterAll(async () => {
  await fx.close();
});

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  path = '/v1/messages',
) {
  const started = performance.now();
  const res = await request(`${url}${path}`, { method: 'POST', headers, body });
  const chunks: Array<{ at: number; text: string }> = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    chunks.push({ at: performance.now() - started, text: decoder.decode(chunk, { stream: true }) });
  }
  const text = chunks.map((c) => c.text).join('');
  return { status: res.statusCode, headers: res.headers, text, chunks };
}

describe('streaming POST /v1/messages', () => {
  it('returns the fault-free stream as the message the scenario holds', async () => {
    const out = await post(fx.proxy.url, mockHeaders(PLAIN, {}), requestBody(PLAIN));
    expect(out.status).toBe(200);
    expect(strip(assemble(out.text).message).content).toEqual(
      strip(scenario(PLAIN).message).content,
    );
  });

  it("keeps the first attempt's status and headers, minus length and hop-by-hop", async () => {
    const out = await post(fx.proxy.url, mockHeaders(PLAIN, {}), requestBody(PLAIN));
    expect(out.headers['request-id']).toMatch(/^req_/);
    expect(out.headers['anthropic-ratelimit-requests-limit']).toBe('4000');
    expect(out.headers['content-type']).toContain('text/event-stream');
    expect(out.headers['content-length']).toBeUndefined();
    expect(out.headers['x-lifeline']).toBe('protected');
    expect(out.headers['x-mock-attempt']).toBe('1');
  });

  it('recovers a mid-text drop and sends the keep-alive comment at once', async () => {
    const out = await post(
      fx.proxy.url,
      mockHeaders(PLAIN, { '1': DROP_MID_TEXT }),
      requestBody(PLAIN),
    );
    const result = assemble(out.text);
    expect(strip(result.message).content).toEqual(strip(scenario(PLAIN).message).content);
    expect(result.comments).toContain('lifeline resuming: socket');
  });

  it('streams keep-alive comments while waiting for the upstream to take a retry', async () => {
    const faults = {
      '1': DROP_MID_TEXT,
      '2': { kind: 'http', status: 529, headers: { 'retry-after-ms': '300' } },
    };
    const out = await post(fx.proxy.url, mockHeaders(PLAIN, faults), requestBody(PLAIN));
    const result = assemble(out.text);
    expect(result.message?.stop_reason).toBe('end_turn');
    const waits = out.chunks.filter((c) => c.text.includes(': lifeline resuming: waiting'));
    expect(waits.length).toBeGreaterThanOrEqual(3);
    // They reached the client while it waited, not in one batch at the end.
    const last = out.chunks.at(-1)?.at ?? 0;
    expect(last - (waits[0]?.at ?? last)).toBeGreaterThan(150);
  });

  it('sends attempts to the configured upstream with the client headers, minus hop-by-hop', async () => {
    const sse = scenarioSse();
    const up = await startCustomUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse);
    });
    const proxy = await startProxy({ port: 0, upstream: `${up.url}/base/`, logLevel: 'silent' });
    try {
      const body = requestBody(PLAIN);
      const reply = await rawExchange(
        proxy.port,
        'POST /v1/messages?beta=true HTTP/1.1\r\nhost: localhost\r\n' +
          `x-api-key: ${API_KEY}\r\nauthorization: Bearer t0k3n\r\n` +
          'anthropic-version: 2023-06-01\r\nanthropic-beta: a-beta,b-beta\r\n' +
          'x-mock-scenario: x\r\ncontent-type: application/json\r\n' +
          'connection: close, x-hop\r\nx-hop: drop me\r\nkeep-alive: timeout=5\r\n' +
          `accept-encoding: gzip\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      expect(reply).toMatch(/^HTTP\/1.1 200/);
      const seen = up.seen[0];
      expect(seen?.url).toBe('/base/v1/messages?beta=true');
      expect(seen?.headers['x-api-key']).toBe(API_KEY);
      expect(seen?.headers.authorization).toBe('Bearer t0k3n');
      expect(seen?.headers['anthropic-version']).toBe('2023-06-01');
      expect(seen?.headers['anthropic-beta']).toBe('a-beta,b-beta');
      expect(seen?.headers['x-mock-scenario']).toBe('x');
      expect(seen?.headers['x-hop']).toBeUndefined();
      expect(seen?.headers['keep-alive']).toBeUndefined();
      expect(seen?.headers.host).toBe(new URL(up.url).host);
      expect(seen?.headers['accept-encoding']).toBe('identity');
      expect(seen?.body).toBe(body);
    } finally {
      await proxy.close(100);
      await up.close();
    }
  });

  it('ignores the host of an absolute-form request target', async () => {
    const up = await startCustomUpstream((_req, res) => res.end('{"data":[]}'));
    const proxy = await startProxy({ port: 0, upstream: up.url, logLevel: 'silent' });
    try {
      const reply = await rawExchange(
        proxy.port,
        'GET http://evil.invalid:9/v1/models HTTP/1.1\r\nhost: evil.invalid\r\nconnection: close\r\n\r\n',
      );
      expect(reply).toMatch(/^HTTP\/1.1 200/);
      expect(up.seen[0]?.url).toBe('/v1/models');
    } finally {
      await proxy.close(100);
      await up.close();
    }
  });
});

/** The SSE bytes of plain-long-text, as the mock renders them. */
function scenarioSse(): Buffer {
  return Buffer.concat([...fx.mock.renderedEvents(PLAIN)]);
}

describe('failures the proxy cannot repair', () => {
  it('ends a stream whose recovery failed with an SSE error the SDK raises as APIError', async () => {
    const proxy = await startProxy({
      port: 0,
      upstream: fx.mock.url,
      maxAttempts: 2,
      baseDelayMs: 1,
      logLevel: 'silent',
    });
    try {
      const client = new Anthropic({
        apiKey: API_KEY,
        baseURL: proxy.url,
        maxRetries: 0,
        defaultHeaders: mockHeaders(PLAIN, { '*': DROP_MID_TEXT }),
      });
      const stream = client.messages.stream({
        model: scenario(PLAIN).message.model,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const error = await stream.finalMessage().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as Error).message).toMatch(/lifeline: The response stream .* was interrupted/);
    } finally {
      await proxy.close(100);
    }
  });

  it('ends the failed stream cleanly: the body reads to its end without a socket error', async () => {
    const proxy = await startProxy({
      port: 0,
      upstream: fx.mock.url,
      maxAttempts: 2,
      baseDelayMs: 1,
      logLevel: 'silent',
    });
    try {
      const out = await post(
        proxy.url,
        mockHeaders(PLAIN, { '*': DROP_MID_TEXT }),
        requestBody(PLAIN),
      );
      expect(out.status).toBe(200);
      expect(out.text).toMatch(
        /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"lifeline: /,
      );
      expect(out.text.endsWith('\n\n')).toBe(true);
    } finally {
      await proxy.close(100);
    }
  });

  it('answers 502 in the API error shape when the upstream cannot be reached', async () => {
    const up = await startCustomUpstream((_r, res) => res.end());
    const deadUrl = up.url;
    await up.close();
    const proxy = await startProxy({
      port: 0,
      upstream: deadUrl,
      maxAttempts: 2,
      baseDelayMs: 1,
      logLevel: 'silent',
    });
    try {
      const out = await post(proxy.url, mockHeaders(PLAIN), requestBody(PLAIN));
      expect(out.status).toBe(502);
      const body = JSON.parse(out.text) as {
        type: string;
        error: { type: string; message: string };
      };
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('api_error');
      expect(body.error.message).toMatch(/^lifeline: could not reach the upstream .*ECONNREFUSED/);
    } finally {
      await proxy.close(100);
    }
  });

  it('passes the last retryable status through once the budget is spent', async () => {
    const out = await post(
      fx.proxy.url,
      mockHeaders(PLAIN, { '*': { kind: 'http', status: 529 } }),
      requestBody(PLAIN),
    );
    expect(out.status).toBe(529);
    expect(JSON.parse(out.text).error.type).toBe('overloaded_error');
  });

  it('passes a non-retryable 400 through unchanged', async () => {
    const out = await post(
      fx.proxy.url,
      mockHeaders(PLAIN, { '1': { kind: 'http', status: 400, message: 'bad thing' } }),
      requestBody(PLAIN),
    );
    expect(out.status).toBe(400);
    expect(JSON.parse(out.text).error.message).toBe('bad thing');
  });
});

describe('passthrough', () => {
  it('forwards GET /v1/models with status, headers and body', async () => {
    const direct = await request(`${fx.mock.url}/v1/models`, { headers: { 'x-api-key': API_KEY } });
    const proxied = await request(`${fx.proxy.url}/v1/models`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(proxied.statusCode).toBe(200);
    expect(proxied.headers['content-type']).toBe(direct.headers['content-type']);
    expect(await proxied.body.json()).toEqual(await direct.body.json());
  });

  it('forwards POST /v1/messages/count_tokens with its body', async () => {
    const out = await post(
      fx.proxy.url,
      { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      JSON.stringify({ model: 'claude-opus-4-6', messages: [{ role: 'user', content: 'hi' }] }),
      '/v1/messages/count_tokens',
    );
    expect(out.status).toBe(200);
    expect(JSON.parse(out.text).input_tokens).toBeGreaterThan(0);
  });

  it("forwards an unknown path and returns the upstream's 404", async () => {
    const res = await request(`${fx.proxy.url}/v1/nothing-here`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(res.statusCode).toBe(404);
    expect(((await res.body.json()) as { error: { type: string } }).error.type).toBe(
      'not_found_error',
    );
  });

  it('forwards a non-streaming message unchanged (no upgrade by default)', async () => {
    const out = await post(
      fx.proxy.url,
      mockHeaders(SEED, {}),
      requestBody(SEED, { stream: false }),
    );
    expect(out.status).toBe(200);
    expect(out.headers['x-lifeline']).toBeUndefined();
    expect(strip(JSON.parse(out.text)).content).toEqual(strip(scenario(SEED).message).content);
  });
});

describe('--upgrade-nonstreaming', () => {
  it('streams a non-streaming request upstream and returns the recovered message as JSON', async () => {
    const proxy = await startProxy({
      port: 0,
      upstream: fx.mock.url,
      upgradeNonstreaming: true,
      baseDelayMs: 1,
      logLevel: 'silent',
    });
    try {
      const headers = mockHeaders(SEED);
      const client = new Anthropic({
        apiKey: API_KEY,
        baseURL: proxy.url,
        maxRetries: 0,
        defaultHeaders: headers,
      });
      const message = await client.beta.messages.create({
        model: scenario(SEED).message.model,
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'Build the report.' }],
      });
      expect(strip(message).content).toEqual(strip(scenario(SEED).message).content);
      const attempts = fx.mock.requests.filter((r) => r.runId === headers['x-mock-run']);
      expect(attempts.map((a) => a.stream)).toEqual([true, true]);
      expect(attempts[1]?.kind).toBe('continuation');
    } finally {
      await proxy.close(100);
    }
  });
});

describe('client disconnect and backpressure', () => {
  it('aborts the upstream attempt within 100 ms of the client leaving', async () => {
    const headers = mockHeaders(PLAIN, { '1': { kind: 'stall', afterEvents: 20, ms: 10_000 } });
    const res = await request(`${fx.proxy.url}/v1/messages`, {
      method: 'POST',
      headers,
      body: requestBody(PLAIN),
    });
    const iterator = res.body[Symbol.asyncIterator]();
    await iterator.next();
    const record = fx.mock.requests.find((r) => r.runId === headers['x-mock-run']);
    expect(record?.sse?.outcome).toBe('pending');
    const left = performance.now();
    res.body.destroy();
    while (record?.sse?.outcome === 'pending' && performance.now() - left < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(record?.sse?.outcome).toBe('client-closed');
    expect(performance.now() - left).toBeLessThan(100);
  });

  it('stops reading upstream while a client does not read, with bounded buffering', async () => {
    // ~24 MB of text in 64 KiB deltas, written by an upstream that honours backpressure.
    const delta = Buffer.from(
      `event: content_block_delta\ndata: ${JSON.stringify({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'All work and no play. '.repeat(2_979) },
      })}\n\n`,
    );
    const deltas = 384;
    let written = 0;
    const up = await startCustomUpstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const write = async (chunk: string | Buffer) => {
        written += Buffer.byteLength(chunk);
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      };
      await write(
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n' +
          'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      );
      for (let i = 0; i < deltas && !res.destroyed; i++) await write(delta);
      res.end(
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
          'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}\n\n' +
          'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      );
    });
    const proxy = await startProxy({ port: 0, upstream: up.url, logLevel: 'silent' });
    const total = delta.length * deltas;
    try {
      const res = await request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: requestBody(PLAIN),
        highWaterMark: 16 * 1024,
      });
      // Do not read: the buffers between upstream and client fill up, then everything stops.
      let sent = -1;
      for (let waited = 0; written !== sent && waited < 5_000; waited += 250) {
        sent = written;
        expect(proxy.bufferedBytes()).toBeLessThan(1024 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(written).toBe(sent);
      expect(sent).toBeLessThan(total / 2);
      expect(proxy.bufferedBytes()).toBeLessThan(1024 * 1024);
      let received = 0;
      let tail = '';
      for await (const chunk of res.body) {
        received += chunk.length;
        tail = (tail + chunk.toString('latin1')).slice(-200);
      }
      expect(received).toBeGreaterThan(total);
      expect(tail).toContain('event: message_stop');
    } finally {
      await proxy.close(100);
      await up.close();
    }
  });
});

describe('operations', () => {
  it('answers GET /healthz locally', async () => {
    const res = await request(`${fx.proxy.url}/healthz`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: 'ok' });
  });

  it('counts streams, failures, recoveries and bytes at GET /metrics', async () => {
    const local = await startFixture({}, fx.mock);
    try {
      await post(local.proxy.url, mockHeaders(PLAIN, { '1': DROP_MID_TEXT }), requestBody(PLAIN));
      const res = await request(`${local.proxy.url}/metrics`);
      expect(res.statusCode).toBe(200);
      const text = await res.body.text();
      expect(metric(text, 'lifeline_streams_total')).toBe(1);
      expect(metric(text, 'lifeline_stream_failures_total', '{kind="socket"}')).toBe(1);
      expect(metric(text, 'lifeline_recoveries_total', '{strategy="prefill"}')).toBe(1);
      expect(metric(text, 'lifeline_recovery_latency_seconds_count')).toBe(1);
      expect(metric(text, 'lifeline_upstream_responses_total', '{status="200"}')).toBe(2);
      expect(
        metric(text, 'lifeline_requests_total', '{path="/v1/messages",method="POST",status="200"}'),
      ).toBe(1);
      expect(metric(text, 'lifeline_bytes_downstream_total')).toBeGreaterThan(10_000);
      expect(metric(text, 'lifeline_active_streams')).toBe(0);
    } finally {
      await local.close();
    }
  });

  it('logs one JSON line per request with the recovery summary', async () => {
    const local = await startFixture({}, fx.mock);
    try {
      await post(local.proxy.url, mockHeaders(PLAIN, { '1': DROP_MID_TEXT }), requestBody(PLAIN));
      const lines = local.log.lines().filter((l) => l.msg === 'request');
      expect(lines).toHaveLength(1);
      const line = lines[0] as {
        recovery: { outcome: string; strategies: string[] };
        summary: string;
        status: number;
      };
      expect(line.status).toBe(200);
      expect(line.recovery.outcome).toBe('recovered');
      expect(line.recovery.strategies).toEqual(['prefill']);
      expect(line.summary).toMatch(/recovered after 2 attempt/);
      expect(local.log.text).not.toContain(API_KEY);
    } finally {
      await local.close();
    }
  });

  it('logs each seam (rule, characters trimmed, confidence; no text) and counts it in lifeline_seams_total', async () => {
    const local = await startFixture({}, fx.mock);
    try {
      // seam-restate: claude-opus-4-6, a continuation turn restating the last 3 words.
      await post(local.proxy.url, mockHeaders('seam-restate'), requestBody('seam-restate'));
      const line = local.log.lines().find((l) => l.msg === 'request') as {
        recovery: { seams?: Array<Record<string, unknown>> };
      };
      const seams = line.recovery.seams ?? [];
      expect(seams).toHaveLength(1);
      expect(seams[0]).toMatchObject({ rule: 'words', confidence: 'high', attempt: 2 });
      expect(seams[0]?.trimmed).toBeGreaterThan(0);
      expect(seams[0]).not.toHaveProperty('excerpt');
      const metrics = await (await request(`${local.proxy.url}/metrics`)).body.text();
      expect(metric(metrics, 'lifeline_seams_total', '{rule="words",confidence="high"}')).toBe(1);
    } finally {
      await local.close();
    }
  });

  it('lets an open stream finish on shutdown, then stops', async () => {
    const local = await startFixture({}, fx.mock);
    const headers = mockHeaders(PLAIN, {
      '1': { kind: 'stall', afterEvents: 20, ms: 300 },
    });
    const pending = post(local.proxy.url, headers, requestBody(PLAIN));
    while (local.proxy.activeRequests === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const closing = local.proxy.close(5_000);
    const out = await pending;
    await closing;
    expect(assemble(out.text).message?.stop_reason).toBe('end_turn');
    await expect(request(`${local.proxy.url}/healthz`)).rejects.toThrow();
  });

  it('ends streams still open at the shutdown deadline with an SSE error', async () => {
    const local = await startFixture({}, fx.mock);
    const headers = mockHeaders(PLAIN, {
      '1': { kind: 'stall', afterEvents: 20, ms: 10_000 },
    });
    const pending = post(local.proxy.url, headers, requestBody(PLAIN));
    while (local.proxy.activeRequests === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await local.proxy.close(100);
    const out = await pending;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out.text).toMatch(/event: error\ndata: .*lifeline: the proxy is shutting down/);
  });
});
