/**
 * A stall behind the proxy, seen by real clients whose idle timer is shorter than the stall.
 *
 * What resets each client's timer (docs/resume.md#what-resets-a-clients-idle-timer):
 * - @anthropic-ai/sdk: its `timeout` is armed around `fetch` only, so it ends with the response
 *   headers and never covers the body;
 * - undici (Node's fetch, and so the SDK's default transport): `bodyTimeout` (default 300 s) is
 *   refreshed by every body chunk;
 * - Python httpx: the read timeout bounds each socket read, so any bytes start it over.
 *
 * So an SSE comment is enough for all three. The upstream (the mock) goes silent for 60 s mid-
 * text; the proxy catches it at its floor (1 s; more if a loaded machine spaced the mock's
 * chunks), and its continuation is answered with a 529 and `retry-after-ms: 4000`, so the
 * client hears no content for 5 s or more: longer than its 3 s timer. With keep-alive comments every 400 ms each client completes with the exact text; with
 * keep-alives off (or a fixed 5 s stall timeout) the same client gives up.
 */
import { execFile } from 'node:child_process';
import Anthropic from '@anthropic-ai/sdk';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import type { ProxyOptions } from '../../src/proxy/index.js';
import { requireBinary } from '../helpers/binaries.js';
import {
  API_KEY,
  type Fixture,
  fixtureScenarios,
  mockHeaders,
  requestBody,
  scenario,
  startFixture,
  startMock,
} from './support.js';

const PLAIN = 'plain-long-text';
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./clients/httpx_read_timeout.py', import.meta.url).pathname;
const hasHttpx = requireBinary('python3-httpx', { command: PYTHON, args: ['-c', 'import httpx'] });

/** The client's idle timer. */
const CLIENT_IDLE_MS = 3_000;
/** Dead mid-text; the first continuation is turned away for 4 s. */
const FAULTS = {
  '1': { kind: 'stall', afterEvents: 300, ms: 60_000 },
  '2': { kind: 'http', status: 529, headers: { 'retry-after-ms': '4000' } },
};
const PROXY: Partial<ProxyOptions> = { stallFloorMs: 1_000, keepAliveMs: 400 };

const expectedText = () =>
  scenario(PLAIN)
    .message.content.map((b) => (b.type === 'text' ? b.text : ''))
    .join('');

let mock: MockServer;
let withKeepAlive: Fixture;
let withoutKeepAlive: Fixture;
let fixedTimeout: Fixture;
beforeAll(async () => {
  mock = await startMock({ scenarios: fixtureScenarios() });
  withKeepAlive = await startFixture(PROXY, mock);
  withoutKeepAlive = await startFixture({ ...PROXY, keepAliveMs: 0 }, mock);
  fixedTimeout = await startFixture({ ...PROXY, stall: 'fixed', stallTimeoutMs: 5_000 }, mock);
});
afterAll(async () => {
  await Promise.all([withKeepAlive.close(), withoutKeepAlive.close(), fixedTimeout.close()]);
  await mock.close();
});

/** The SDK over undici with a body timeout as the idle timer. */
function sdk(fx: Fixture, options: { bodyTimeout?: number; timeout?: number } = {}) {
  const agent = new Agent({ bodyTimeout: options.bodyTimeout ?? CLIENT_IDLE_MS });
  return new Anthropic({
    apiKey: API_KEY,
    baseURL: fx.proxy.url,
    maxRetries: 0,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    fetch: ((url: string, init: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
  });
}

async function sdkText(client: Anthropic): Promise<string> {
  const headers = mockHeaders(PLAIN, FAULTS);
  const message = await client.messages
    .stream(
      {
        model: scenario(PLAIN).message.model,
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'Write it.' }],
      },
      { headers },
    )
    .finalMessage();
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** The `code`s along the cause chain of the error `pending` rejects with. */
async function failureCodes(pending: Promise<unknown>): Promise<string[]> {
  const codes: string[] = [];
  let err: unknown = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  while (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    err = err.cause;
  }
  return codes;
}

describe('@anthropic-ai/sdk over undici, bodyTimeout shorter than the stall', () => {
  it('completes with the exact text: the keep-alive comments refresh bodyTimeout', async () => {
    const started = performance.now();
    expect(await sdkText(sdk(withKeepAlive))).toBe(expectedText());
    // The stall and the 529's wait were both sat through, not skipped.
    expect(performance.now() - started).toBeGreaterThan(1_000 + 4_000);
  });

  it('gives up without the keep-alive comments: undici’s body timeout', async () => {
    expect(await failureCodes(sdkText(sdk(withoutKeepAlive)))).toContain('UND_ERR_BODY_TIMEOUT');
  });

  it('gives up before a fixed stall timeout longer than its timer fires', async () => {
    expect(await failureCodes(sdkText(sdk(fixedTimeout)))).toContain('UND_ERR_BODY_TIMEOUT');
  });

  it('is not cut off by its own request timeout, which ends with the response headers', async () => {
    // bodyTimeout off: only the SDK's `timeout` (1.5 s) could end the 5 s wait.
    const client = sdk(withoutKeepAlive, { bodyTimeout: 0, timeout: 1_500 });
    expect(await sdkText(client)).toBe(expectedText());
  });
});

interface HttpxResult {
  code: number | null;
  text: string;
  comments: string[];
  longestWaitMs: number;
  exception?: string;
}

function httpx(fx: Fixture): Promise<HttpxResult> {
  const args = [
    SCRIPT,
    fx.proxy.url,
    JSON.stringify(mockHeaders(PLAIN, FAULTS)),
    requestBody(PLAIN),
    String(CLIENT_IDLE_MS / 1000),
  ];
  return new Promise((resolve) => {
    const child = execFile(PYTHON, args, { timeout: 60_000 }, (_err, stdout) => {
      const out = JSON.parse(stdout || '{}') as {
        text?: string;
        comments?: string[];
        longest_wait_ms?: number;
        exception?: string;
      };
      resolve({
        code: child.exitCode,
        text: out.text ?? '',
        comments: out.comments ?? [],
        longestWaitMs: out.longest_wait_ms ?? 0,
        ...(out.exception !== undefined ? { exception: out.exception } : {}),
      });
    });
  });
}

describe.runIf(hasHttpx)('Python httpx, read timeout shorter than the stall', () => {
  it('completes with the exact text: each comment starts the read timeout over', async () => {
    const result = await httpx(withKeepAlive);
    expect(result.exception).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.text).toBe(expectedText());
    expect(result.comments).toContain(': lifeline resuming: stall');
    expect(result.comments).toContain(': lifeline resuming: waiting for upstream');
    expect(result.longestWaitMs).toBeLessThan(CLIENT_IDLE_MS);
  });

  it('raises ReadTimeout without the keep-alive comments', async () => {
    const result = await httpx(withoutKeepAlive);
    expect(result.code).toBe(3);
    expect(result.exception).toMatch(/^ReadTimeout/);
    expect(expectedText().startsWith(result.text)).toBe(true);
  });
});
