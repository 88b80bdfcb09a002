/**
 * `--trace-dir`: one `lifeline.trace/1` JSONL file per protected request, mode 0600, keys
 * redacted, content only on request, readable by `lifeline analyze`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/diagnose/index.js';
import { JsonlTraceWriter, TRACE_SCHEMA } from '../../src/engine/index.js';
import type { MockServer } from '../../src/mock/index.js';
import {
  API_KEY,
  type Fixture,
  fixtureScenarios,
  mockHeaders,
  requestBody,
  SEED,
  startFixture,
  startMock,
} from './support.js';

const dirs: string[] = [];
let fx: Fixture | undefined;
let mock: MockServer;
beforeAll(async () => {
  mock = await startMock({ scenarios: fixtureScenarios() });
});
afterAll(async () => {
  await mock.close();
});
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-trace-'));
  dirs.push(dir);
  return dir;
}

async function tracedRun(options: { traceContent?: boolean } = {}) {
  const dir = join(tempDir(), 'traces');
  fx = await startFixture({ traceDir: dir, ...options }, mock);
  const headers = { ...mockHeaders(SEED), authorization: `Bearer ${API_KEY}` };
  const res = await request(`${fx.proxy.url}/v1/messages`, {
    method: 'POST',
    headers,
    body: requestBody(SEED),
  });
  await res.body.text();
  const files = readdirSync(dir);
  const path = join(dir, files[0] as string);
  const text = readFileSync(path, 'utf8');
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { dir, files, path, text, lines, proxyId: res.headers['x-lifeline-request-id'] };
}

describe('trace recording through the proxy', () => {
  it('writes one file per request, mode 0600, named after the request id', async () => {
    const run = await tracedRun();
    expect(run.files).toHaveLength(1);
    expect(statSync(run.path).mode & 0o777).toBe(0o600);
    expect(run.path.endsWith(`${run.proxyId}.jsonl`)).toBe(true);
  });

  it('opens with the request line: schema, model, betas, upstream, redacted headers', async () => {
    const run = await tracedRun();
    const first = run.lines[0] as Record<string, unknown> & { headers: Record<string, string> };
    expect(first.type).toBe('request');
    expect(first.schema).toBe(TRACE_SCHEMA);
    expect(first.id).toBe(run.proxyId);
    expect(first.model).toBe('claude-opus-4-6');
    expect(first.stream).toBe(true);
    expect(first.betas).toEqual(['code-execution-2025-08-25', 'skills-2025-10-02']);
    expect(first.upstream).toBe(fx?.mock.url);
    expect(first.headers['x-api-key']).toBe('[redacted]');
    expect(first.headers.authorization).toBe('[redacted]');
    expect(first.headers['anthropic-version']).toBe('2023-06-01');
    expect(run.text).not.toContain(API_KEY);
  });

  it('records attempts, events, the failure and the report, without content by default', async () => {
    const run = await tracedRun();
    const of = (type: string) => run.lines.filter((l) => l.type === type);
    expect(of('attempt').map((a) => [a.attempt, a.strategy, a.status])).toEqual([
      [1, 'first', 200],
      [2, 'continue', 200],
    ]);
    expect(of('failure')).toEqual([expect.objectContaining({ attempt: 1, kind: 'socket' })]);
    const events = of('event');
    const start = events.find((e) => e.event === 'content_block_start' && e.index === 1);
    expect(start).toMatchObject({
      attempt: 1,
      blockType: 'server_tool_use',
      name: expect.any(String),
    });
    const delta = events.find(
      (e) => e.event === 'content_block_delta' && e.deltaType === 'text_delta',
    );
    expect(delta?.payloadBytes).toBeGreaterThan(0);
    expect(delta?.bytes).toBeGreaterThan(delta?.payloadBytes as number);
    expect(events.some((e) => 'content' in e)).toBe(false);
    expect(run.lines.at(-1)).toMatchObject({ type: 'report', outcome: 'recovered' });
  });

  it('records delta payloads only with traceContent', async () => {
    const run = await tracedRun({ traceContent: true });
    const delta = run.lines.find((e) => e.type === 'event' && e.deltaType === 'text_delta');
    expect(typeof delta?.content).toBe('string');
    expect(Buffer.byteLength(delta?.content as string)).toBe(delta?.payloadBytes);
  });

  it('is read back by the analyze reader', async () => {
    const run = await tracedRun();
    const trace = readTrace(run.text);
    expect(trace.request.model).toBe('claude-opus-4-6');
    expect(trace.failures[0]?.kind).toBe('socket');
    expect(trace.report?.outcome).toBe('recovered');
    expect(trace.events.length).toBe(run.lines.filter((l) => l.type === 'event').length);
  });
});

describe('JsonlTraceWriter', () => {
  it('never overwrites an existing trace file', () => {
    const dir = tempDir();
    const info = {
      id: 'same',
      method: 'POST',
      path: '/v1/messages',
      model: 'm',
      stream: true,
      betas: [],
      upstream: 'http://x',
      headers: {},
    };
    const now = () => new Date('2026-01-01T00:00:00Z');
    JsonlTraceWriter.create(dir, info, { now }).close();
    expect(() => JsonlTraceWriter.create(dir, info, { now })).toThrow(/EEXIST/);
  });
});
