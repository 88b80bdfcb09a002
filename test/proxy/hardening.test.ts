/**
 * Regressions worth keeping from trying the proxy as a hostile or unlucky user would (issue 15):
 * request smuggling variants and Host tricks never reach the upstream, slow clients do not hold
 * up others, an upstream killed under load gives clean errors and the proxy recovers when it is
 * back, secrets stay out of logs and metrics, and SIGTERM lets 50 open streams finish.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock } from '../../src/mock/index.js';
import { startProxy } from '../../src/proxy/index.js';
import { rawExchange } from '../helpers/raw-http.js';
import {
  API_KEY,
  assemble,
  type Fixture,
  fixtureScenarios,
  mockHeaders,
  requestBody,
  startCustomUpstream,
  startFixture,
} from './support.js';

const PLAIN = 'plain-long-text';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ maxAttempts: 2 });
});
afterAll(async () => {
  await fx.close();
});

describe('request smuggling', () => {
  const body = requestBody(PLAIN);
  const head = (extra: string) =>
    `POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${extra}`;
  it.each([
    [
      'content-length and transfer-encoding',
      `${head(`content-length: ${body.length}\r\ntransfer-encoding: chunked\r\n`)}\r\n0\r\n\r\n`,
    ],
    [
      'two different content-lengths',
      `${head('content-length: 4\r\ncontent-length: 40\r\n')}\r\n${body}`,
    ],
    ['an obfuscated transfer-encoding', `${head('transfer-encoding: xchunked\r\n')}\r\n0\r\n\r\n`],
    [
      'transfer-encoding with a space before the colon',
      `${head('transfer-encoding : chunked\r\n')}\r\n0\r\n\r\n`,
    ],
    [
      'a bare LF in a chunk size line',
      `${head('transfer-encoding: chunked\r\n')}\r\n5\nhello\r\n0\r\n\r\n`,
    ],
  ])('answers %s with 400 and forwards nothing', async (_name, bytes) => {
    const before = fx.mock.requests.length;
    const reply = await rawExchange(fx.proxy.port, bytes);
    expect(reply).toMatch(/^HTTP\/1.1 400 /);
    expect(fx.mock.requests.length).toBe(before);
  });
});

describe('Host tricks', () => {
  it('contacts only the configured upstream, whatever Host or request target says', async () => {
    const other = await startCustomUpstream((_req, res) => res.end('{}'));
    const otherHost = new URL(other.url).host;
    try {
      const before = fx.mock.requests.length;
      const viaHost = await rawExchange(
        fx.proxy.port,
        `GET /v1/models HTTP/1.1\r\nhost: ${otherHost}\r\nconnection: close\r\n\r\n`,
      );
      const viaTarget = await rawExchange(
        fx.proxy.port,
        `GET ${other.url}/v1/models HTTP/1.1\r\nhost: ${otherHost}\r\nconnection: close\r\n\r\n`,
      );
      expect(viaHost).toMatch(/^HTTP\/1.1 200 /);
      expect(viaTarget).toMatch(/^HTTP\/1.1 200 /);
      expect(other.seen).toHaveLength(0);
      // GET /v1/models is not a messages request: the mock does not log it, so count nothing new.
      expect(fx.mock.requests.length).toBe(before);
    } finally {
      await other.close();
    }
  });
});

describe('slow clients', () => {
  it('keeps serving while 50 clients send their headers a byte at a time', async () => {
    const slow: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const socket = connect(fx.proxy.port, '127.0.0.1');
        socket.on('error', () => {});
        const header = 'POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-slow: ';
        let sent = 0;
        timers.push(
          setInterval(() => {
            socket.write(sent < header.length ? (header[sent] as string) : 'a');
            sent++;
          }, 20),
        );
        slow.push(socket);
      }
      await new Promise((r) => setTimeout(r, 200));
      const res = await request(`${fx.proxy.url}/v1/messages`, {
        method: 'POST',
        headers: mockHeaders(PLAIN, {}),
        body: requestBody(PLAIN),
      });
      expect(res.statusCode).toBe(200);
      expect(assemble(await res.body.text()).message?.stop_reason).toBe('end_turn');
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of slow) s.destroy();
    }
  });
});

describe('upstream killed under load', () => {
  it('ends open streams with an SSE error or 502, then recovers when the upstream is back', async () => {
    const scenarios = fixtureScenarios();
    let mock = await startMock({ scenarios });
    const port = mock.port;
    const proxy = await startProxy({
      port: 0,
      upstream: mock.url,
      maxAttempts: 2,
      baseDelayMs: 1,
      logLevel: 'silent',
    });
    try {
      const open = await Promise.all(
        Array.from({ length: 20 }, () =>
          request(`${proxy.url}/v1/messages`, {
            method: 'POST',
            headers: mockHeaders(PLAIN, { '1': { kind: 'stall', afterEvents: 10, ms: 30_000 } }),
            body: requestBody(PLAIN),
          }),
        ),
      );
      await mock.close();
      const outcomes = await Promise.all(
        open.map(async (res) => {
          const text = await res.body.text();
          return res.statusCode === 502 ? '502' : (assemble(text).error?.type ?? 'no error');
        }),
      );
      expect(new Set(outcomes)).toEqual(new Set(['api_error']));

      // The proxy is still up, and the upstream comes back on the same port.
      const health = await request(`${proxy.url}/healthz`);
      expect(health.statusCode).toBe(200);
      await health.body.text();
      mock = await startMock({ scenarios, port });
      const res = await request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: mockHeaders(PLAIN, {}),
        body: requestBody(PLAIN),
      });
      expect(res.statusCode).toBe(200);
      expect(assemble(await res.body.text()).message?.stop_reason).toBe('end_turn');
    } finally {
      await proxy.close(100);
      await mock.close();
    }
  });
});

describe('secrets', () => {
  it('keeps the API key out of the log and the metrics', async () => {
    const res = await request(`${fx.proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...mockHeaders(PLAIN, {}), authorization: `Bearer ${API_KEY}` },
      body: requestBody(PLAIN),
    });
    await res.body.text();
    const metrics = await (await request(`${fx.proxy.url}/metrics`)).body.text();
    expect(metrics).not.toContain(API_KEY);
    expect(fx.log.text).not.toContain(API_KEY);
  });
});

describe('SIGTERM with 50 open streams (CLI)', () => {
  it('lets every stream finish, answers 503 meanwhile, and exits 0', {
    timeout: 60_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'proxy',
        '--port',
        '0',
        '--upstream',
        fx.mock.url,
        '--shutdown-deadline-ms',
        '20000',
      ],
      { env: { ...process.env, LIFELINE_CONFIG: '' } },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c) => {
        stderr += String(c);
        const m = /listening on (http:\/\/[^,]+),/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    child.stdout.resume();
    const exited = once(child, 'exit');
    const open = await Promise.all(
      Array.from({ length: 50 }, () =>
        request(`${url}/v1/messages`, {
          method: 'POST',
          headers: mockHeaders(PLAIN, { '1': { kind: 'stall', afterEvents: 10, ms: 1_500 } }),
          body: requestBody(PLAIN),
        }),
      ),
    );
    expect(open.every((r) => r.statusCode === 200)).toBe(true);
    const bodies = open.map((r) => r.body.text());
    child.kill('SIGTERM');
    // Draining: still listening, and says so.
    for (;;) {
      const health = await request(`${url}/healthz`);
      await health.body.text();
      if (health.statusCode === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const texts = await Promise.all(bodies);
    expect(texts.map((t) => assemble(t).message?.stop_reason)).toEqual(
      Array.from({ length: 50 }, () => 'end_turn'),
    );
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: draining');
  });
});
