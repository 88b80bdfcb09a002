/**
 * What the proxy answers itself, before (or instead of) the upstream: `Expect: 100-continue`
 * from real curl, one body limit on every path, 529 when at maxConcurrentRequests, readiness
 * and 503s while draining, and an upstream request aborted at once when the client leaves
 * while the proxy still waits for the upstream's headers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../src/proxy/index.js';
import { requireBinary } from '../helpers/binaries.js';
import { metric } from '../helpers/metrics.js';
import {
  API_KEY,
  assemble,
  type Fixture,
  mockHeaders,
  requestBody,
  startCustomUpstream,
  startFixture,
} from './support.js';

const PLAIN = 'plain-long-text';
const LIMIT = 4 * 1024 * 1024;

interface ApiError {
  type: string;
  error: { type: string; message: string };
}

let fx: Fixture;
let dir: string;
beforeAll(async () => {
  fx = await startFixture({ maxBodyBytes: LIMIT, maxBodyBytesByPath: { '/v1/files': 64 } });
  dir = mkdtempSync(join(tmpdir(), 'lifeline-admission-'));
});
afterAll(async () => {
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
  expect(fx.log.text).not.toContain(API_KEY);
});

/** A streaming request body padded to about `bytes` (the padding is one user message). */
function paddedBody(bytes: number, stream = true): string {
  return requestBody(PLAIN, {
    stream,
    messages: [{ role: 'user', content: `Summarize: ${'lorem ipsum '.repeat(bytes / 12)}` }],
  });
}

async function metricsText(url: string): Promise<string> {
  const res = await request(`${url}/metrics`);
  return res.body.text();
}

const curlAvailable = requireBinary('curl', { command: 'curl', args: ['--version'] });

interface CurlResult {
  code: number | null;
  status: number;
  body: string;
  /** curl -v's trace: `> ` lines sent, `< ` lines received. */
  trace: string;
  uploaded: number;
}

/** Runs curl with a body file; -v shows whether `100 Continue` came and what was uploaded. */
async function curl(
  url: string,
  file: string,
  headers: Record<string, string>,
): Promise<CurlResult> {
  const args = ['-sS', '-v', '-X', 'POST', '--data-binary', `@${file}`];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push('-w', '\n%{http_code} %{size_upload}', url);
  const child = spawn('curl', args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const cut = stdout.lastIndexOf('\n');
  const [status, uploaded] = stdout
    .slice(cut + 1)
    .split(' ')
    .map(Number) as [number, number];
  return { code, status, body: stdout.slice(0, cut), trace: stderr, uploaded };
}

describe.runIf(curlAvailable)('Expect: 100-continue (curl, bodies over 1 MB)', () => {
  const headers = (extra: Record<string, string> = {}) => ({
    ...mockHeaders(PLAIN, {}),
    ...extra,
  });

  it('streams /v1/messages after 100 Continue, the header not forwarded', async () => {
    const file = join(dir, 'stream.json');
    writeFileSync(file, paddedBody(1_500_000));
    const out = await curl(`${fx.proxy.url}/v1/messages`, file, headers());
    expect(out.code).toBe(0);
    expect(out.trace).toMatch(/^> Expect: 100-continue/m);
    expect(out.trace).toMatch(/^< HTTP\/1.1 100 Continue/m);
    expect(out.status).toBe(200);
    expect(out.uploaded).toBeGreaterThan(1_500_000);
    expect(assemble(out.body).message?.stop_reason).toBe('end_turn');
    const seen = fx.mock.requests.at(-1);
    expect(seen?.headers?.expect).toBeUndefined();
  });

  it('passes count_tokens through after 100 Continue', async () => {
    const file = join(dir, 'count.json');
    writeFileSync(file, paddedBody(1_500_000, false));
    const out = await curl(`${fx.proxy.url}/v1/messages/count_tokens`, file, headers());
    expect(out.code).toBe(0);
    expect(out.trace).toMatch(/^< HTTP\/1.1 100 Continue/m);
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toHaveProperty('input_tokens');
  });

  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    'answers 413 instead of 100 Continue on %s when the declared body is over the limit',
    async (path) => {
      const file = join(dir, 'big.json');
      writeFileSync(file, paddedBody(LIMIT + 1_000_000));
      const before = fx.mock.requests.length;
      const out = await curl(`${fx.proxy.url}${path}`, file, headers());
      expect(out.status).toBe(413);
      expect(out.trace).not.toMatch(/^< HTTP\/1.1 100 Continue/m);
      expect(out.uploaded).toBe(0);
      expect((JSON.parse(out.body) as ApiError).error.type).toBe('request_too_large');
      expect(fx.mock.requests.length).toBe(before);
    },
  );
});

describe('one body limit on every path', () => {
  it('refuses a declared length over the limit on a passthrough path without contacting the upstream', async () => {
    const up = await startCustomUpstream((_req, res) => res.end('{}'));
    const proxy = await startProxy({
      port: 0,
      upstream: up.url,
      maxBodyBytes: 1024,
      logLevel: 'silent',
    });
    try {
      const res = await request(`${proxy.url}/v1/messages/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: 'x'.repeat(4096),
      });
      const error = (await res.body.json()) as ApiError;
      expect(res.statusCode).toBe(413);
      expect(error.error.type).toBe('request_too_large');
      expect(error.error.message).toContain('1024 bytes for /v1/messages/batches');
      expect(up.seen).toHaveLength(0);
      expect(
        metric(
          await metricsText(proxy.url),
          'lifeline_refused_requests_total',
          '{reason="too_large"}',
        ),
      ).toBe(1);
    } finally {
      await proxy.close(100);
      await up.close();
    }
  });

  it('cuts off a chunked passthrough upload once it crosses the limit, and answers 413', async () => {
    const up = await startCustomUpstream((_req, res) => res.end('{}'));
    const proxy = await startProxy({
      port: 0,
      upstream: up.url,
      maxBodyBytes: 64 * 1024,
      logLevel: 'silent',
    });
    let produced = 0;
    async function* upload() {
      // 8 MiB in 16 KiB chunks, no content-length: the proxy sees the size only as it reads.
      for (let i = 0; i < 512; i++) {
        produced += 16 * 1024;
        yield Buffer.alloc(16 * 1024, 0x61);
        await new Promise((r) => setImmediate(r));
      }
    }
    try {
      const res = await request(`${proxy.url}/v1/files`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-api-key': API_KEY },
        body: Readable.from(upload()),
      }).catch((err: Error) => err);
      if (!(res instanceof Error)) {
        expect(res.statusCode).toBe(413);
        expect(((await res.body.json()) as ApiError).error.type).toBe('request_too_large');
      }
      // Nothing complete reached the upstream, and the proxy stopped well before 8 MiB.
      expect(up.seen).toHaveLength(0);
      expect(produced).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await proxy.close(100);
      await up.close();
    }
  });

  it('applies a per-path override (maxBodyBytesByPath)', async () => {
    const res = await request(`${fx.proxy.url}/v1/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-api-key': API_KEY },
      body: 'x'.repeat(65),
    });
    expect(res.statusCode).toBe(413);
    expect(((await res.body.json()) as ApiError).error.message).toContain('limit of 64 bytes');
  });
});

describe('overload', () => {
  it('answers 529 overloaded_error with retry-after past maxConcurrentRequests, and counts it', async () => {
    const local = await startFixture({ maxConcurrentRequests: 2 }, fx.mock);
    const controller = new AbortController();
    try {
      const held = Array.from({ length: 2 }, () =>
        request(`${local.proxy.url}/v1/messages`, {
          method: 'POST',
          headers: mockHeaders(PLAIN, { '1': { kind: 'stall', afterEvents: 5, ms: 30_000 } }),
          body: requestBody(PLAIN),
          signal: controller.signal,
        }),
      );
      const opened = await Promise.all(held);
      expect(opened.map((r) => r.statusCode)).toEqual([200, 200]);
      const ready = await request(`${local.proxy.url}/readyz`);
      expect(ready.statusCode).toBe(503);
      expect(await ready.body.json()).toEqual({ status: 'overloaded' });
      const health = await request(`${local.proxy.url}/healthz`);
      expect(health.statusCode).toBe(200);
      await health.body.text();

      const res = await request(`${local.proxy.url}/v1/messages`, {
        method: 'POST',
        headers: mockHeaders(PLAIN, {}),
        body: requestBody(PLAIN),
      });
      const error = (await res.body.json()) as ApiError;
      expect(res.statusCode).toBe(529);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['x-should-retry']).toBe('true');
      expect(error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
      expect(error.error.message).toContain('maxConcurrentRequests');
      const text = await metricsText(local.proxy.url);
      expect(metric(text, 'lifeline_refused_requests_total', '{reason="overloaded"}')).toBe(1);
    } finally {
      controller.abort();
      await local.close();
    }
  });
});

describe('draining', () => {
  it('answers probes and new requests with 503 while an open stream finishes, then stops listening', async () => {
    const local = await startFixture({}, fx.mock);
    const open = await request(`${local.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: mockHeaders(PLAIN, { '1': { kind: 'stall', afterEvents: 20, ms: 1_000 } }),
      body: requestBody(PLAIN),
    });
    expect(open.statusCode).toBe(200);
    const body = open.body.text();
    const closing = local.proxy.close(10_000);

    const health = await request(`${local.proxy.url}/healthz`);
    expect(health.statusCode).toBe(503);
    expect(await health.body.json()).toEqual({ status: 'shutting-down' });
    const ready = await request(`${local.proxy.url}/readyz`);
    expect(ready.statusCode).toBe(503);
    await ready.body.text();
    const refused = await request(`${local.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: mockHeaders(PLAIN, {}),
      body: requestBody(PLAIN),
    });
    const error = (await refused.body.json()) as ApiError;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(error.error.type).toBe('overloaded_error');
    expect(error.error.message).toContain('shutting down');

    expect(assemble(await body).message?.stop_reason).toBe('end_turn');
    await closing;
    await expect(request(`${local.proxy.url}/healthz`)).rejects.toThrow();
  });
});

describe('client leaves while the proxy waits for the upstream headers', () => {
  it('closes the upstream connection that carried the request, and leaves none open', async () => {
    // An upstream that reads the request and never answers.
    const sockets: Socket[] = [];
    const closed = new Map<Socket, Promise<unknown>>();
    let received!: () => void;
    const gotRequest = new Promise<void>((resolve) => {
      received = resolve;
    });
    const upstream = createServer((socket) => {
      sockets.push(socket);
      closed.set(socket, once(socket, 'close'));
      socket.on('data', () => received());
      socket.on('error', () => {});
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as { port: number };
    const proxy = await startProxy({
      port: 0,
      upstream: `http://127.0.0.1:${port}`,
      logLevel: 'silent',
    });
    const controller = new AbortController();
    try {
      const pending = request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: requestBody(PLAIN),
        signal: controller.signal,
      }).catch((err: Error) => err);
      await gotRequest;
      const carrier = sockets[0] as Socket;
      expect(carrier.destroyed).toBe(false);
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      // The proxy's stall timer (90 s) and undici's keep-alive (30 s) would outlast this test:
      // only an abort closes it now.
      await closed.get(carrier);
      expect(carrier.destroyed).toBe(true);
      // undici then opens a spare connection for the aborted request (nodejs/undici#5845),
      // which would idle for 30 s; the proxy closes it as soon as it is up.
      await new Promise((r) => setTimeout(r, 300));
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
        if (sockets.every((s) => s.destroyed)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(sockets.filter((s) => !s.destroyed)).toHaveLength(0);
    } finally {
      await proxy.close(100);
      for (const s of sockets) s.destroy();
      upstream.close();
    }
  });
});
