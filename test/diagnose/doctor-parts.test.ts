/**
 * The pure parts of `doctor`: the SSE buffering verdict from chunk timings, SSE event
 * counting across chunks, environment collection and redaction, proxy selection.
 */
import { describe, expect, it } from 'vitest';
import { collectEnvironment, proxyFor, redact } from '../../src/diagnose/doctor/env.js';
import { timeoutMs } from '../../src/diagnose/doctor/warnings.js';
import { type ChunkArrival, classifyArrivals, EventCounter } from '../../src/diagnose/index.js';

const steady = (n: number, gapMs: number, startMs = 5): ChunkArrival[] =>
  Array.from({ length: n }, (_, i) => ({ atMs: startMs + i * gapMs, bytes: 100, events: 1 }));

describe('SSE buffering verdict', () => {
  it('calls events spread over time streaming', () => {
    expect(classifyArrivals(steady(10, 50)).verdict).toBe('streaming');
  });

  it('calls all events in one chunk after a wait buffered', () => {
    const v = classifyArrivals([{ atMs: 800, bytes: 2000, events: 20 }]);
    expect(v.verdict).toBe('buffered');
    expect(v.largestBurstShare).toBe(1);
    expect(v.reason).toContain('one burst');
  });

  it('counts chunks a few milliseconds apart as one burst', () => {
    const burst = Array.from({ length: 10 }, (_, i) => ({ atMs: 900 + i, bytes: 100, events: 2 }));
    expect(classifyArrivals(burst).verdict).toBe('buffered');
  });

  it('is inconclusive when everything arrived too fast to tell', () => {
    expect(classifyArrivals([{ atMs: 20, bytes: 2000, events: 20 }]).verdict).toBe('inconclusive');
  });

  it('is inconclusive with fewer than 3 events', () => {
    expect(classifyArrivals(steady(2, 300)).verdict).toBe('inconclusive');
  });

  it('still calls a stream streaming when some events share a chunk', () => {
    const mixed = [...steady(6, 80), { atMs: 600, bytes: 300, events: 3 }];
    expect(classifyArrivals(mixed).verdict).toBe('streaming');
  });
});

describe('SSE event counting', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('counts LF LF and CRLF CRLF terminators', () => {
    expect(new EventCounter().feed(bytes('data: a\n\ndata: b\r\n\r\nevent: x\ndata: c\n\n'))).toBe(
      3,
    );
  });

  it('counts a terminator split across chunks once', () => {
    const c = new EventCounter();
    expect(c.feed(bytes('data: a\r\n'))).toBe(0);
    expect(c.feed(bytes('\r'))).toBe(0);
    expect(c.feed(bytes('\ndata: b\n'))).toBe(1);
    expect(c.feed(bytes('\n'))).toBe(1);
  });

  it('does not count single line breaks', () => {
    expect(new EventCounter().feed(bytes('event: a\ndata: b\n'))).toBe(0);
  });
});

describe('environment', () => {
  it('removes user-info and query strings from URLs', () => {
    expect(redact('http://alice:hunter2@proxy.corp:3128')).toBe(
      'http://<redacted>@proxy.corp:3128',
    );
    expect(redact('alice:hunter2@proxy.corp:3128')).toBe('<redacted>@proxy.corp:3128');
    expect(redact('https://gw.example.com/v1?token=abc')).toBe(
      'https://gw.example.com/v1?<redacted>',
    );
    expect(redact('https://api.anthropic.com')).toBe('https://api.anthropic.com');
  });

  it('keeps proxy, base URL and timeout variables, and reduces secrets to set / not set', () => {
    const report = collectEnvironment({
      ANTHROPIC_BASE_URL: 'https://gw.example.com',
      HTTPS_PROXY: 'http://u:p@proxy:3128',
      ANTHROPIC_TIMEOUT: '600',
      LIFELINE_STALL_TIMEOUT_MS: '90000',
      ANTHROPIC_API_KEY: 'sk-ant-abc',
      MY_SERVICE_PASSWORD: 'x',
      HOME: '/root',
    });
    expect(report.values).toEqual({
      ANTHROPIC_BASE_URL: 'https://gw.example.com',
      ANTHROPIC_TIMEOUT: '600',
      HTTPS_PROXY: 'http://<redacted>@proxy:3128',
      LIFELINE_STALL_TIMEOUT_MS: '90000',
    });
    expect(report.secrets).toEqual({ ANTHROPIC_API_KEY: 'set', ANTHROPIC_AUTH_TOKEN: 'not set' });
  });

  it('keeps NODE_TLS_REJECT_UNAUTHORIZED by value even though its name contains AUTH', () => {
    expect(collectEnvironment({ NODE_TLS_REJECT_UNAUTHORIZED: '0' }).values).toEqual({
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
  });

  it('picks the proxy by scheme and honours NO_PROXY suffixes', () => {
    const env = {
      HTTPS_PROXY: 'http://p:1',
      HTTP_PROXY: 'http://q:2',
      NO_PROXY: '.internal,localhost:8080',
    };
    expect(proxyFor(new URL('https://api.anthropic.com'), env)).toBe('http://p:1');
    expect(proxyFor(new URL('http://api.anthropic.com'), env)).toBe('http://q:2');
    expect(proxyFor(new URL('https://llm.internal'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://localhost:8080'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://localhost:9090'), env)).toBe('http://q:2');
    expect(proxyFor(new URL('https://x.y'), { ...env, NO_PROXY: '*' })).toBeUndefined();
  });

  it('reads timeout variables as milliseconds by their unit', () => {
    expect(timeoutMs('API_TIMEOUT_MS', '30000')).toBe(30000);
    expect(timeoutMs('ANTHROPIC_TIMEOUT', '600')).toBe(600000);
    expect(timeoutMs('ANTHROPIC_MAX_RETRIES', '5')).toBeUndefined();
  });
});
