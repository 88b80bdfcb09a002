/**
 * `runDoctor` against loopback upstreams: reachability, SSE timing (streamed versus held back
 * and sent in one burst), proxies, and that secrets never reach the snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_SCHEMA, runDoctor } from '../../../src/diagnose/index.js';
import { VERSION } from '../../../src/version.js';
import {
  closedPort,
  type Loopback,
  startConnectProxy,
  startUpstream,
} from '../../helpers/loopback.js';

let streaming: Loopback;
let buffered: Loopback;
let proxy: Loopback;

beforeAll(async () => {
  [streaming, buffered, proxy] = await Promise.all([
    startUpstream('streaming'),
    startUpstream('buffered'),
    startConnectProxy(),
  ]);
});

afterAll(async () => {
  await Promise.all([streaming.close(), buffered.close(), proxy.close()]);
});

const KEY = 'sk-ant-test-SECRET123';
// No pythons: these tests are about the network probes; the runtime probe has its own test.
const base = { pythons: [], timeoutMs: 3000, env: { ANTHROPIC_API_KEY: KEY } };

describe('doctor: upstream', () => {
  it('reports a reachable upstream with status and latency', async () => {
    const s = await runDoctor({ ...base, upstream: streaming.url });
    expect(s.schema).toBe(DOCTOR_SCHEMA);
    expect(s.upstream).toMatchObject({
      reachable: true,
      status: 200,
      via: 'direct',
      source: 'flag',
      auth: 'sent',
    });
    expect(s.upstream.headersMs).toBeGreaterThan(0);
    expect(s.upstream.probeUrl).toBe(`${streaming.url}/v1/models`);
  });

  it('takes the upstream from ANTHROPIC_BASE_URL when no flag is given', async () => {
    const s = await runDoctor({ ...base, env: { ...base.env, ANTHROPIC_BASE_URL: streaming.url } });
    expect(s.upstream).toMatchObject({
      url: streaming.url,
      source: 'ANTHROPIC_BASE_URL',
      reachable: true,
    });
  });

  it('sends the key to a loopback upstream but never records it', async () => {
    const before = streaming.seen.length;
    const s = await runDoctor({ ...base, upstream: streaming.url });
    const probe = streaming.seen.slice(before).find((r) => r.url === '/v1/models');
    expect(probe?.headers['x-api-key']).toBe(KEY);
    expect(probe?.headers['user-agent']).toBe(`anthropic-stream-resume/${VERSION}`);
    expect(s.env.secrets.ANTHROPIC_API_KEY).toBe('set');
    expect(JSON.stringify(s)).not.toContain('SECRET123');
  });

  it('reports an unreachable upstream as an error, explained by its signature', async () => {
    const port = await closedPort();
    const s = await runDoctor({ ...base, upstream: `http://127.0.0.1:${port}` });
    expect(s.upstream.reachable).toBe(false);
    expect(s.upstream.error).toContain('ECONNREFUSED');
    expect(s.upstream.errorSignature).toBe('node-econnrefused');
    expect(s.warnings[0]).toMatchObject({ id: 'upstream-unreachable', severity: 'error' });
  });

  it('goes through HTTP_PROXY like a proxy-aware client, and redacts the proxy credentials', async () => {
    const proxyUrl = proxy.url.replace('http://', 'http://user:pw-SECRET456@');
    const before = proxy.seen.length;
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      env: { ...base.env, HTTP_PROXY: proxyUrl },
    });
    expect(s.upstream).toMatchObject({ reachable: true, status: 200, via: 'proxy' });
    expect(proxy.seen.slice(before).map((r) => r.url)).toContain(new URL(streaming.url).host);
    expect(s.warnings.map((w) => w.id)).toContain('proxy-set');
    expect(JSON.stringify(s)).not.toContain('SECRET456');
    expect(s.env.values.HTTP_PROXY).toBe(proxy.url.replace('http://', 'http://<redacted>@'));
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      env: { ...base.env, HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: 'localhost,127.0.0.1' },
    });
    expect(s.upstream).toMatchObject({ reachable: true, via: 'direct' });
  });
});

describe('doctor: SSE buffering', () => {
  it('sees a stream whose events arrive as produced as streaming, without a warning', async () => {
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      sseUrl: `${streaming.url}/stream`,
    });
    expect(s.sse.verdict).toBe('streaming');
    expect(s.sse.events).toBe(10);
    expect(s.sse.chunks).toBeGreaterThanOrEqual(5);
    expect(s.warnings.map((w) => w.id)).not.toContain('sse-buffered');
  });

  it('detects a stream delivered in one burst at the end and warns', async () => {
    const s = await runDoctor({
      ...base,
      upstream: buffered.url,
      sseUrl: `${buffered.url}/stream`,
    });
    expect(s.sse.verdict).toBe('buffered');
    expect(s.sse.events).toBe(10);
    expect(s.sse.largestBurstShare).toBe(1);
    const warning = s.warnings.find((w) => w.id === 'sse-buffered');
    expect(warning?.severity).toBe('warn');
    expect(warning?.message).toContain('one burst');
  });

  it('--sse streams a short Messages request from the upstream itself', async () => {
    const before = streaming.seen.length;
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      sse: true,
      model: 'claude-test',
    });
    expect(s.sse).toMatchObject({ verdict: 'streaming', method: 'POST', status: 200 });
    const sent = streaming.seen.slice(before).find((r) => r.method === 'POST');
    expect(sent?.url).toBe('/v1/messages');
    expect(JSON.parse(sent?.body ?? '{}')).toMatchObject({ model: 'claude-test', stream: true });
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['user-agent']).toBe(`anthropic-stream-resume/${VERSION}`);
  });

  it('is inconclusive about a URL that does not stream, and says so', async () => {
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      sseUrl: `${streaming.url}/v1/models`,
    });
    expect(s.sse.verdict).toBe('inconclusive');
    expect(s.sse.reason).toContain('not text/event-stream');
  });

  it('skips the SSE probe unless asked, and says how to run it', async () => {
    const s = await runDoctor({ ...base, upstream: streaming.url });
    expect(s.sse.verdict).toBe('skipped');
    expect(s.sse.reason).toContain('--sse');
  });
});

describe('doctor: environment', () => {
  it('records timeouts by value and keys only as set / not set', async () => {
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      env: {
        ...base.env,
        API_TIMEOUT_MS: '30000',
        ANTHROPIC_CUSTOM_KEY: 'sk-ant-other-SECRET789',
        NODE_OPTIONS: '--dns-result-order=ipv4first',
      },
    });
    expect(s.env.values).toMatchObject({
      API_TIMEOUT_MS: '30000',
      NODE_OPTIONS: '--dns-result-order=ipv4first',
    });
    expect(s.env.secrets).toEqual({
      ANTHROPIC_API_KEY: 'set',
      ANTHROPIC_AUTH_TOKEN: 'not set',
      ANTHROPIC_CUSTOM_KEY: 'set',
    });
    expect(JSON.stringify(s)).not.toContain('SECRET789');
    expect(s.warnings.map((w) => w.id)).toContain('timeout-short');
  });

  it('warns when no key is set and when the base URL ends in /v1', async () => {
    const s = await runDoctor({ ...base, env: {}, upstream: `${streaming.url}/v1` });
    const ids = s.warnings.map((w) => w.id);
    expect(ids).toContain('no-api-key');
    expect(ids).toContain('base-url-v1');
    expect(s.upstream.auth).toBe('not sent: no key set');
  });

  it('reports the Python interpreters it is given, and a missing one as not found', async () => {
    const s = await runDoctor({
      ...base,
      upstream: streaming.url,
      pythons: ['/nonexistent/python3'],
    });
    expect(s.python).toEqual([
      expect.objectContaining({
        command: '/nonexistent/python3',
        found: false,
        version: null,
        error: 'not found',
      }),
    ]);
  });

  it('finds the JavaScript SDKs installed in the project', async () => {
    const s = await runDoctor({ ...base, upstream: streaming.url, cwd: process.cwd() });
    const sdk = s.js.packages.find((p) => p.name === '@anthropic-ai/sdk');
    expect(sdk?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects a malformed upstream URL with a DoctorOptionError', async () => {
    await expect(runDoctor({ ...base, upstream: 'not a url' })).rejects.toThrow(/not a valid URL/);
  });
});
