/**
 * The `lifeline.trace/1` writer on its own: the file it creates, the request line, what each
 * record carries (and leaves out without `content`), when lines reach the disk, and that a
 * write error loses the trace, never the request. test/proxy/trace.test.ts covers a traced
 * request through the proxy.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  betasOf,
  JsonlTraceWriter,
  REDACTED,
  redactHeaders,
  TRACE_SCHEMA,
  type TraceRequestInfo,
} from '../../src/engine/trace.js';
import type { RecoveryReport } from '../../src/resume/index.js';

const fsFaults = vi.hoisted(() => ({ failWrites: false, closes: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
      if (fsFaults.failWrites)
        throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
      return fs.writeSync(...args);
    }) as typeof fs.writeSync,
    closeSync: (fd: number) => {
      fsFaults.closes++;
      fs.closeSync(fd);
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  fsFaults.failWrites = false;
  fsFaults.closes = 0;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mut-stall-trace-'));
  dirs.push(dir);
  return dir;
}

const NOW = () => new Date('2026-03-04T05:06:07.089Z');

const request: TraceRequestInfo = {
  id: 'req_1',
  method: 'POST',
  path: '/v1/messages',
  model: 'claude-opus-4-6',
  stream: true,
  betas: ['a-beta'],
  upstream: 'https://api.anthropic.com',
  headers: { 'anthropic-version': '2023-06-01' },
};

function open(options: { content?: boolean } = {}, info: Partial<TraceRequestInfo> = {}) {
  const writer = JsonlTraceWriter.create(
    tempDir(),
    { ...request, ...info },
    { now: NOW, ...options },
  );
  const lines = () =>
    readFileSync(writer.path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { writer, lines };
}

/** The one event line `data` gives, recorded and flushed. */
function eventLine(
  type: string,
  data: Record<string, unknown>,
  options: { content?: boolean } = {},
) {
  const { writer, lines } = open(options);
  writer.event({ attempt: 1, t: 5, type, bytes: 100, data });
  writer.close();
  return lines()[1];
}

describe('redactHeaders', () => {
  it('replaces credentials, in any case, and lowercases every name', () => {
    expect(
      redactHeaders({
        'X-Api-Key': 'sk-ant-secret',
        Authorization: 'Bearer sk',
        'proxy-authorization': 'Basic x',
        Cookie: 'session=1',
        'Anthropic-Version': '2023-06-01',
      }),
    ).toEqual({
      'x-api-key': REDACTED,
      authorization: REDACTED,
      'proxy-authorization': REDACTED,
      cookie: REDACTED,
      'anthropic-version': '2023-06-01',
    });
  });

  it('joins repeated values and leaves out absent ones', () => {
    expect(redactHeaders({ 'anthropic-beta': ['a', 'b'], 'x-absent': undefined })).toStrictEqual({
      'anthropic-beta': 'a, b',
    });
  });
});

describe('betasOf', () => {
  it('splits a comma-separated header, trimmed, without empty names', () => {
    expect(betasOf(' a-1 ,b-2,, ')).toEqual(['a-1', 'b-2']);
  });

  it('reads every value of a repeated header', () => {
    expect(betasOf(['a', 'b,c'])).toEqual(['a', 'b', 'c']);
  });

  it('finds none in an absent header', () => {
    expect(betasOf(undefined)).toEqual([]);
  });
});

describe('the trace file', () => {
  it('is named after the time and the request id, mode 0600, in a directory it creates 0700', () => {
    const dir = join(tempDir(), 'nested', 'traces');
    const writer = JsonlTraceWriter.create(dir, { ...request, id: 'req/../x y' }, { now: NOW });
    writer.close();
    expect(readdirSync(dir)).toEqual(['2026-03-04T05-06-07-089Z-req____x_y.jsonl']);
    expect(writer.path).toBe(join(dir, '2026-03-04T05-06-07-089Z-req____x_y.jsonl'));
    expect(writer.id).toBe('req/../x y');
    expect(statSync(writer.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('makes up a request id when none is given', () => {
    const { writer, lines } = open({}, { id: undefined });
    expect(writer.id).toMatch(/^req_[A-Za-z0-9_-]{12}$/);
    expect(writer.path.endsWith(`-${writer.id}.jsonl`)).toBe(true);
    expect(lines()[0]?.id).toBe(writer.id);
  });

  it('opens with the request line, on disk at once, credentials redacted', () => {
    const { lines } = open({}, { headers: { 'x-api-key': 'sk-ant-secret', accept: ['a', 'b'] } });
    expect(lines()).toEqual([
      {
        type: 'request',
        schema: TRACE_SCHEMA,
        id: 'req_1',
        time: '2026-03-04T05:06:07.089Z',
        method: 'POST',
        path: '/v1/messages',
        model: 'claude-opus-4-6',
        stream: true,
        betas: ['a-beta'],
        upstream: 'https://api.anthropic.com',
        headers: { 'x-api-key': REDACTED, accept: 'a, b' },
      },
    ]);
  });

  it('stamps the file with the current time when no clock is given', () => {
    const before = Date.now();
    const writer = JsonlTraceWriter.create(tempDir(), request);
    writer.close();
    const line = JSON.parse(readFileSync(writer.path, 'utf8').split('\n')[0] as string);
    const time = Date.parse(line.time);
    expect(time).toBeGreaterThanOrEqual(before - 1);
    expect(time).toBeLessThanOrEqual(Date.now() + 1);
  });
});

describe('records', () => {
  it('writes an attempt with its status, or without one when no response came, at once', () => {
    const { writer, lines } = open();
    writer.attempt({ attempt: 1, strategy: 'first', t: 1.23456, status: 200 });
    writer.attempt({ attempt: 2, strategy: 'continue', t: 2000.0004 });
    expect(lines().slice(1)).toEqual([
      { type: 'attempt', attempt: 1, strategy: 'first', t: 1.235, status: 200 },
      { type: 'attempt', attempt: 2, strategy: 'continue', t: 2000 },
    ]);
  });

  it('writes a failure at once', () => {
    const { writer, lines } = open();
    writer.failure({ attempt: 1, t: 12.3456, kind: 'socket', message: 'other side closed' });
    expect(lines().slice(1)).toEqual([
      { type: 'failure', attempt: 1, t: 12.346, kind: 'socket', message: 'other side closed' },
    ]);
  });

  it('describes a started block by type, index and tool name, without its content', () => {
    const block = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} };
    expect(eventLine('content_block_start', { index: 2, content_block: block })).toEqual({
      type: 'event',
      attempt: 1,
      t: 5,
      event: 'content_block_start',
      bytes: 100,
      index: 2,
      blockType: 'server_tool_use',
      name: 'web_search',
    });
  });

  it('records the started block as JSON with content', () => {
    const block = { type: 'text', text: '' };
    expect(
      eventLine('content_block_start', { index: 0, content_block: block }, { content: true }),
    ).toMatchObject({ blockType: 'text', content: JSON.stringify(block) });
  });

  it('keeps a start without a block, and a block without a type or name, to what it has', () => {
    expect(eventLine('content_block_start', { index: 0 }, { content: true })).toEqual({
      type: 'event',
      attempt: 1,
      t: 5,
      event: 'content_block_start',
      bytes: 100,
      index: 0,
    });
    expect(
      eventLine('content_block_start', { index: 0, content_block: { type: 7, name: 8 } }),
    ).not.toHaveProperty('blockType');
  });

  it('measures a delta’s payload in UTF-8 bytes, whichever field carries it', () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ type: 'text_delta', text: 'héllo' }, 6],
      [{ type: 'input_json_delta', partial_json: '{"a":' }, 5],
      [{ type: 'thinking_delta', thinking: '中' }, 3],
      [{ type: 'signature_delta', signature: 'sig' }, 3],
    ];
    for (const [delta, size] of cases) {
      expect(eventLine('content_block_delta', { index: 1, delta })).toEqual({
        type: 'event',
        attempt: 1,
        t: 5,
        event: 'content_block_delta',
        bytes: 100,
        index: 1,
        deltaType: delta.type,
        payloadBytes: size,
      });
    }
  });

  it('records a delta’s payload string only with content', () => {
    const delta = { type: 'text_delta', text: 'héllo' };
    expect(eventLine('content_block_delta', { index: 0, delta }, { content: true })).toMatchObject({
      payloadBytes: 6,
      content: 'héllo',
    });
  });

  it('records a delta without a payload string by its type alone', () => {
    const line = eventLine(
      'content_block_delta',
      { index: 0, delta: { type: 'citations_delta', citation: {} } },
      { content: true },
    );
    expect(line).toMatchObject({ deltaType: 'citations_delta' });
    expect(line).not.toHaveProperty('payloadBytes');
    expect(line).not.toHaveProperty('content');
    const bare = eventLine('content_block_delta', { index: 0 });
    expect(bare).not.toHaveProperty('deltaType');
    expect(bare).not.toHaveProperty('payloadBytes');
  });

  it('records a message_delta’s stop reason and an error’s type', () => {
    expect(eventLine('message_delta', { delta: { stop_reason: 'end_turn' }, usage: {} })).toEqual({
      type: 'event',
      attempt: 1,
      t: 5,
      event: 'message_delta',
      bytes: 100,
      stopReason: 'end_turn',
    });
    expect(eventLine('message_delta', {})).not.toHaveProperty('stopReason');
    expect(
      eventLine('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ).toEqual({
      type: 'event',
      attempt: 1,
      t: 5,
      event: 'error',
      bytes: 100,
      errorType: 'overloaded_error',
    });
    expect(eventLine('error', {})).not.toHaveProperty('errorType');
  });

  it('leaves out a delta type, stop reason or error type that is not a string', () => {
    expect(
      eventLine('content_block_delta', { index: 0, delta: { type: 5, text: 'a' } }),
    ).not.toHaveProperty('deltaType');
    expect(eventLine('message_delta', { delta: { stop_reason: null } })).not.toHaveProperty(
      'stopReason',
    );
    expect(eventLine('error', { error: { type: 529 } })).not.toHaveProperty('errorType');
  });

  it('records other events by name and size, and an index only when it is a number', () => {
    expect(eventLine('ping', {})).toEqual({
      type: 'event',
      attempt: 1,
      t: 5,
      event: 'ping',
      bytes: 100,
    });
    expect(eventLine('content_block_stop', { index: '1' })).not.toHaveProperty('index');
  });

  it('describes a cut event by its structure, without the payload', () => {
    const { writer, lines } = open({ content: true });
    const raw =
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":4,"delta":{"type":"text_delta","text":"secret wor';
    writer.cut({ attempt: 1, t: 7.77777, bytes: new TextEncoder().encode(raw) });
    writer.close();
    const cut = lines()[1];
    expect(cut).toEqual({
      type: 'cut',
      attempt: 1,
      t: 7.778,
      bytes: raw.length,
      event: 'content_block_delta',
      index: 4,
      deltaType: 'text_delta',
      payloadField: 'text',
      payloadBytes: 10,
      payloadComplete: false,
    });
  });

  it('writes no cut record when the attempt ended between events', () => {
    const { writer, lines } = open();
    writer.cut({ attempt: 1, t: 1, bytes: new TextEncoder().encode('\n') });
    writer.close();
    expect(lines()).toHaveLength(1);
  });

  it('ends with the report and closes the file', () => {
    const { writer, lines } = open();
    writer.event({ attempt: 1, t: 1, type: 'ping', bytes: 20, data: {} });
    const report = { outcome: 'clean', attempts: 1 } as unknown as RecoveryReport;
    writer.end(report);
    writer.attempt({ attempt: 2, strategy: 'continue', t: 3 });
    writer.close();
    expect(lines().map((l) => l.type)).toEqual(['request', 'event', 'report']);
    expect(lines()[2]).toEqual({ type: 'report', outcome: 'clean', attempts: 1 });
  });
});

describe('when lines reach the disk', () => {
  it('batches event lines until the next attempt, failure or close', () => {
    const { writer, lines } = open();
    writer.event({ attempt: 1, t: 1, type: 'ping', bytes: 20, data: {} });
    writer.cut({ attempt: 1, t: 1, bytes: new TextEncoder().encode('event: ping\n') });
    expect(lines()).toHaveLength(1);
    writer.failure({ attempt: 1, t: 2, kind: 'socket', message: 'closed' });
    expect(lines().map((l) => l.type)).toEqual(['request', 'event', 'cut', 'failure']);
    writer.event({ attempt: 2, t: 3, type: 'ping', bytes: 20, data: {} });
    writer.close();
    expect(lines().map((l) => l.type)).toEqual(['request', 'event', 'cut', 'failure', 'event']);
  });

  it('writes the batch once 64 KiB of lines are pending, batch after batch', () => {
    const { writer, lines } = open({ content: true });
    // Delta lines of exactly 1 KiB (newline included): 64 of them make 64 KiB.
    const lineOf = (n: number) =>
      `${JSON.stringify({ type: 'event', attempt: 1, t: 1, event: 'content_block_delta', bytes: 1_100, index: 0, deltaType: 'text_delta', payloadBytes: n, content: 'x'.repeat(n) })}\n`;
    let size = 500;
    while (lineOf(size).length < 1024) size++;
    expect(lineOf(size)).toHaveLength(1024);
    const delta = { type: 'text_delta', text: 'x'.repeat(size) };
    /** Sends delta lines until some reach the disk; how many were sent and written. */
    const batch = () => {
      const before = lines().length;
      for (let sent = 1; sent < 100; sent++) {
        writer.event({
          attempt: 1,
          t: 1,
          type: 'content_block_delta',
          bytes: 1_100,
          data: { index: 0, delta },
        });
        const written = lines().length - before;
        if (written > 0) return { sent, written };
      }
      return undefined;
    };
    // The batch goes out with the line that takes it to 64 KiB, not before and not later.
    expect(batch()).toEqual({ sent: 64, written: 64 });
    expect(readFileSync(writer.path, 'utf8').split('\n')[1]).toBe(lineOf(size).slice(0, -1));
    expect(batch()).toEqual({ sent: 64, written: 64 });
    writer.close();
  });

  it('loses the trace, never the request, on a write error: later lines are dropped', () => {
    const { writer, lines } = open();
    fsFaults.failWrites = true;
    expect(() =>
      writer.attempt({ attempt: 1, strategy: 'first', t: 1, status: 200 }),
    ).not.toThrow();
    fsFaults.failWrites = false;
    writer.failure({ attempt: 1, t: 2, kind: 'socket', message: 'closed' });
    writer.event({ attempt: 1, t: 3, type: 'ping', bytes: 20, data: {} });
    writer.close();
    expect(lines().map((l) => l.type)).toEqual(['request']);
  });

  it('closes quietly when the last write fails, and closes once', () => {
    const { writer, lines } = open();
    writer.event({ attempt: 1, t: 1, type: 'ping', bytes: 20, data: {} });
    fsFaults.failWrites = true;
    expect(() => writer.close()).not.toThrow();
    fsFaults.failWrites = false;
    expect(() => writer.close()).not.toThrow();
    expect(lines()).toHaveLength(1);
    expect(fsFaults.closes).toBe(1);
  });

  it('closes its file at the end, once however often it is told to', () => {
    const { writer } = open();
    writer.end({ outcome: 'clean' } as unknown as RecoveryReport);
    expect(fsFaults.closes).toBe(1);
    writer.close();
    writer.close();
    expect(fsFaults.closes).toBe(1);
  });
});
