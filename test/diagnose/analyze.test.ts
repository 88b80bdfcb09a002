import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/diagnose/index.js';
import { JsonlTraceWriter } from '../../src/engine/index.js';
import { lifelineFetch } from '../../src/integrations/index.js';
import {
  loadScenarioFile,
  type MockServer,
  parseScenario,
  startMock,
} from '../../src/mock/index.js';
import {
  curlCapture,
  SEED_BETAS,
  SEED_CAPTURE_FILE,
  SEED_REQUEST,
  SEED_SCENARIO_FILE,
} from '../fixtures/captures/make-seed-capture.js';
import { plainLongText } from '../fixtures/streams.js';
import { cli } from '../helpers/cli.js';

const seed = loadScenarioFile(SEED_SCENARIO_FILE);
const plain = parseScenario(
  {
    name: 'plain',
    message: { ...plainLongText, model: 'claude-opus-4-6' },
    faults: { '1': { kind: 'stall', afterEvents: 20, ms: 400 } },
  },
  'inline.json',
);
let mock: MockServer;
let dir: string;
let seedCapture: string;
let curlExit: number;

/** Sends the seed request through lifeline with a trace writer; returns the trace file. */
async function traceSeedRun(name: string, content: boolean): Promise<string> {
  const traceDir = join(dir, name);
  const writer = JsonlTraceWriter.create(
    traceDir,
    {
      method: 'POST',
      path: '/v1/messages',
      model: SEED_REQUEST.model,
      stream: true,
      betas: SEED_BETAS.split(','),
      upstream: mock.url,
      headers: { 'x-api-key': 'secret-key' },
    },
    { content },
  );
  const response = await lifelineFetch({ trace: writer, logger: false })(
    `${mock.url}/v1/messages`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'secret-key',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': SEED_BETAS,
        'x-mock-scenario': seed.name,
        'x-mock-run': name,
      },
      body: JSON.stringify(SEED_REQUEST),
    },
  );
  await response.text();
  return join(traceDir, readdirSync(traceDir)[0]!);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-analyze-'));
  mock = await startMock({ scenarios: [seed, plain] });
  seedCapture = join(dir, 'capture.sse');
  // A real client, as a user would capture it: curl exits 18 when the body is cut short.
  const result = await curlCapture(mock.url, SEED_REQUEST, seedCapture, {
    'x-mock-scenario': seed.name,
    'x-mock-run': 'capture',
  });
  curlExit = result.code;
});

afterAll(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lifeline analyze on a capture of the seed incident', () => {
  it('is a capture curl saw cut short', () => {
    expect(curlExit).toBe(18);
  });

  it('states the four facts of the incident in the note', async () => {
    const { code, out, err } = await cli(['analyze', seedCapture]);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('38 content blocks streamed before the drop');
    expect(out).toContain(
      'died in block 38, text_editor_code_execution (server_tool_use), input_json_delta at 20 bytes',
    );
    expect(out).toContain('previous tool input ~42 KB (text_editor_code_execution)');
    expect(out).toContain('closed by the server during active byte transfer');
    expect(out).toContain('message_stop:  missing');
  });

  it('states the same facts in --json', async () => {
    const { code, out } = await cli(['analyze', seedCapture, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as AnalyzeResult;
    expect(result.kind).toBe('capture');
    const { incident } = result;
    expect(incident.model).toBe('claude-opus-4-6');
    expect(incident.stream?.completedBlocks).toBe(38);
    expect(incident.stream?.open).toMatchObject({
      index: 38,
      blockType: 'server_tool_use',
      toolName: 'text_editor_code_execution',
      deltaType: 'input_json_delta',
      receivedBytes: 20,
    });
    expect(incident.largestToolInput?.toolName).toBe('text_editor_code_execution');
    expect(Math.round((incident.largestToolInput?.bytes ?? 0) / 1024)).toBe(42);
    expect(incident.failure).toMatchObject({
      kind: 'socket',
      end: 'mid-event',
      category: 'network/transport',
      duringActiveTransfer: true,
    });
    expect(incident.failure?.closedBy).toContain(
      'closed by the server during active byte transfer',
    );
    expect(incident.stream?.messageStop).toBe(false);
    expect(result.summary).toContain('38 content blocks streamed before the drop');
  });

  it('plans a continuation turn that sends the 38 blocks back and keeps the container', async () => {
    const { out } = await cli(['analyze', seedCapture, '--json']);
    const { incident } = JSON.parse(out) as AnalyzeResult;
    expect(incident.would).toMatchObject({
      strategy: 'continue',
      form: 'continue',
      blocksSentBack: 38,
      blocksRegenerated: 0,
      discardedBlocks: 1,
      containerId: seed.message.container?.id,
    });
  });

  it('reads the committed capture fixture the same way', async () => {
    const fresh = JSON.parse((await cli(['analyze', seedCapture, '--json'])).out) as AnalyzeResult;
    const committed = JSON.parse(
      (await cli(['analyze', SEED_CAPTURE_FILE, '--json'])).out,
    ) as AnalyzeResult;
    expect(committed.incident).toEqual(fresh.incident);
    expect(readFileSync(SEED_CAPTURE_FILE).length).toBe(readFileSync(seedCapture).length);
  });
});

describe('lifeline analyze names the event a stream died inside', () => {
  /** The seed capture cut inside block 38's first delta, 20 bytes into its partial_json. */
  function firstDeltaCapture(): string {
    const text = readFileSync(SEED_CAPTURE_FILE, 'utf8');
    const marker =
      '"index":38,"delta":{"type":"input_json_delta","partial_json":"{\\"command\\":\\"create\\",';
    const at = text.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    const file = join(dir, 'first-delta.sse');
    writeFileSync(file, text.slice(0, at + marker.length));
    return file;
  }

  it('says which delta was cut and how far into its partial_json, in text and JSON', async () => {
    const file = firstDeltaCapture();
    const { out } = await cli(['analyze', file]);
    expect(out).toContain(
      "died in block 38, text_editor_code_execution (server_tool_use), before its first delta was whole: block 38's input_json_delta cut 20 bytes into its partial_json",
    );
    expect(out).toContain(
      "Cut off:       block 38's input_json_delta cut 20 bytes into its partial_json",
    );
    const { incident } = JSON.parse((await cli(['analyze', file, '--json'])).out) as AnalyzeResult;
    expect(incident.stream?.tail?.cut).toMatchObject({
      event: 'content_block_delta',
      index: 38,
      deltaType: 'input_json_delta',
      deltaTypeFrom: 'event',
      payloadField: 'partial_json',
      payloadBytes: 20,
      payloadComplete: false,
    });
  });

  it('infers the delta type from the block when the bytes stop before it (the seed capture)', async () => {
    const { incident } = JSON.parse(
      (await cli(['analyze', SEED_CAPTURE_FILE, '--json'])).out,
    ) as AnalyzeResult;
    expect(incident.stream?.tail).toMatchObject({
      bytes: 76,
      event: 'content_block_delta',
      cut: { index: 38, deltaType: 'input_json_delta', deltaTypeFrom: 'block', bytes: 76 },
    });
    const { out } = await cli(['analyze', SEED_CAPTURE_FILE]);
    expect(out).toContain(
      "block 38's next delta (input_json_delta, as its earlier deltas) cut 76 bytes into the event, before its delta type",
    );
  });

  it('reads the cut event from a trace as from a capture', async () => {
    const trace = await traceSeedRun('trace-cut', false);
    const cutLines = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"cut"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(cutLines).toHaveLength(1);
    expect(cutLines[0]).toMatchObject({
      attempt: 1,
      bytes: 76,
      event: 'content_block_delta',
      index: 38,
    });
    const fromTrace = JSON.parse((await cli(['analyze', trace, '--json'])).out) as AnalyzeResult;
    const fromCapture = JSON.parse(
      (await cli(['analyze', SEED_CAPTURE_FILE, '--json'])).out,
    ) as AnalyzeResult;
    expect(fromTrace.incident.stream?.tail).toEqual(fromCapture.incident.stream?.tail);
  });

  it('still reads a trace written before cut records (the tail from the report)', async () => {
    const trace = await traceSeedRun('trace-old', false);
    const old = join(dir, 'old-trace.jsonl');
    writeFileSync(
      old,
      readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('"type":"cut"'))
        .join('\n'),
    );
    const { incident } = JSON.parse((await cli(['analyze', old, '--json'])).out) as AnalyzeResult;
    expect(incident.stream?.tail).toEqual({ bytes: 76, event: undefined });
    expect(incident.stream?.open?.receivedBytes).toBe(20);
  });
});

describe('lifeline analyze on other captures', () => {
  it('says there was no failure for a complete stream', async () => {
    const clean = join(dir, 'clean.sse');
    await curlCapture(mock.url, SEED_REQUEST, clean, {
      'x-mock-scenario': seed.name,
      'x-mock-run': 'clean',
      'x-mock-faults': '{}',
    });
    const { code, out } = await cli(['analyze', clean]);
    expect(code).toBe(0);
    expect(out).toContain(
      'no failure: the stream completed with message_stop after 41 content blocks',
    );
    expect(out).not.toContain('What lifeline would do');
    const json = JSON.parse((await cli(['analyze', clean, '--json'])).out) as AnalyzeResult;
    expect(json.incident.outcome).toBe('complete');
    expect(json.incident.failure).toBeUndefined();
  });

  it('tells a body that ended between events from one cut mid-event', async () => {
    const bytes = readFileSync(seedCapture);
    const text = bytes.toString('latin1');
    const boundary = text.lastIndexOf('\n\n') + 2;
    const file = join(dir, 'between.sse');
    writeFileSync(file, bytes.subarray(0, boundary));
    const { incident } = JSON.parse((await cli(['analyze', file, '--json'])).out) as AnalyzeResult;
    expect(incident.failure).toMatchObject({ end: 'between-events', kind: 'eof' });
    expect(incident.failure?.duringActiveTransfer).toBeUndefined();
    expect(incident.stream?.tail?.bytes).toBe(0);
  });

  it("classifies an SSE error event as the provider's, and plans a resume", async () => {
    const file = join(dir, 'overloaded.sse');
    await curlCapture(mock.url, SEED_REQUEST, file, {
      'x-mock-scenario': seed.name,
      'x-mock-run': 'overloaded',
      'x-mock-faults': '{"kind":"error","afterEvents":200,"errorType":"overloaded_error"}',
    });
    const { code, out } = await cli(['analyze', file, '--json']);
    expect(code).toBe(0);
    const { incident } = JSON.parse(out) as AnalyzeResult;
    expect(incident.failure).toMatchObject({
      end: 'error-event',
      category: 'model/provider',
      recoverable: true,
    });
    expect(incident.failure?.closedBy).toContain('overloaded_error');
    expect(incident.would?.strategy).toBe('continue');
  });

  it('reads a capture saved with its response head (curl -i)', async () => {
    const file = join(dir, 'with-head.sse');
    const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n';
    writeFileSync(file, Buffer.concat([Buffer.from(head), readFileSync(seedCapture)]));
    const { incident } = JSON.parse((await cli(['analyze', file, '--json'])).out) as AnalyzeResult;
    expect(incident.stream?.completedBlocks).toBe(38);
    expect(incident.stream?.open?.receivedBytes).toBe(20);
  });
});

describe('lifeline analyze on a trace', () => {
  it('reports where attempt 1 died and what lifeline did', async () => {
    const trace = await traceSeedRun('trace-plain', false);
    const { code, out } = await cli(['analyze', trace, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as AnalyzeResult;
    expect(result.kind).toBe('trace');
    const { incident } = result;
    expect(incident.stream?.completedBlocks).toBe(38);
    expect(incident.stream?.open).toMatchObject({
      index: 38,
      blockType: 'server_tool_use',
      toolName: 'text_editor_code_execution',
      deltaType: 'input_json_delta',
      receivedBytes: 20,
    });
    expect(incident.largestToolInput?.toolName).toBe('text_editor_code_execution');
    expect(incident.failure).toMatchObject({
      attempt: 1,
      kind: 'socket',
      end: 'mid-event',
      duringActiveTransfer: true,
    });
    expect(incident.did).toMatchObject({
      outcome: 'recovered',
      attempts: 2,
      strategies: ['continue'],
      containerId: seed.message.container?.id,
    });
    expect(incident.laterAttempts).toMatchObject([
      { attempt: 2, strategy: 'continue', end: 'complete' },
    ]);
  });

  it('reads a trace recorded with content the same way', async () => {
    const trace = await traceSeedRun('trace-content', true);
    const { out } = await cli(['analyze', trace]);
    expect(out).toContain(
      'died in block 38, text_editor_code_execution (server_tool_use), input_json_delta at 20 bytes',
    );
    expect(out).toContain('previous tool input ~42 KB (text_editor_code_execution)');
    expect(out).toContain('lifeline recovered the stream in 2 attempts');
    expect(out).not.toContain('secret-key');
  });

  it('says the stream stalled first when it went quiet past the stall timeout', async () => {
    const traceDir = join(dir, 'trace-stall');
    const writer = JsonlTraceWriter.create(traceDir, {
      method: 'POST',
      path: '/v1/messages',
      model: 'claude-opus-4-6',
      stream: true,
      betas: [],
      upstream: mock.url,
      headers: {},
    });
    const fetchThrough = lifelineFetch({ trace: writer, logger: false, stallTimeoutMs: 150 });
    const response = await fetchThrough(`${mock.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-mock-scenario': 'plain',
        'x-mock-run': 'stall',
      },
      body: JSON.stringify({
        model: 'claude-opus-4-6',
        max_tokens: 1000,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    await response.text();
    const trace = join(traceDir, readdirSync(traceDir)[0]!);
    const { out } = await cli(['analyze', trace, '--json']);
    const { incident } = JSON.parse(out) as AnalyzeResult;
    expect(incident.failure).toMatchObject({ kind: 'stall', end: 'stall' });
    expect(incident.failure?.silenceMs).toBeGreaterThanOrEqual(140);
    expect(incident.did?.outcome).toBe('recovered');
    const text = (await cli(['analyze', trace])).out;
    expect(text).toContain('the stream stalled');
  });
});

describe('lifeline analyze on a trace of a close after silence', () => {
  it('says the stream went quiet before the server closed it', async () => {
    const traceDir = join(dir, 'trace-idle');
    const writer = JsonlTraceWriter.create(traceDir, {
      method: 'POST',
      path: '/v1/messages',
      model: 'claude-opus-4-6',
      stream: true,
      betas: [],
      upstream: mock.url,
      headers: {},
    });
    const response = await lifelineFetch({ trace: writer, logger: false })(
      `${mock.url}/v1/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-mock-scenario': 'plain',
          'x-mock-run': 'idle',
          // Quiet for 1.2 s (under the stall timeout), then the socket is destroyed.
          'x-mock-faults': '{"kind":"stall","afterEvents":20,"ms":1200,"then":"drop"}',
        },
        body: JSON.stringify({
          model: 'claude-opus-4-6',
          max_tokens: 1000,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      },
    );
    await response.text();
    const trace = join(traceDir, readdirSync(traceDir)[0]!);
    const { incident } = JSON.parse((await cli(['analyze', trace, '--json'])).out) as AnalyzeResult;
    expect(incident.failure).toMatchObject({
      kind: 'socket',
      end: 'idle-close',
      duringActiveTransfer: false,
    });
    expect(incident.failure?.silenceMs).toBeGreaterThanOrEqual(1000);
    expect((await cli(['analyze', trace])).out).toContain(
      'it stalled first, then the connection was closed',
    );
  });
});

describe('lifeline analyze on a trace of a refused request', () => {
  it('says the upstream refused it and lifeline passed the answer through', async () => {
    const traceDir = join(dir, 'trace-400');
    const writer = JsonlTraceWriter.create(traceDir, {
      method: 'POST',
      path: '/v1/messages',
      model: 'claude-opus-4-6',
      stream: true,
      betas: [],
      upstream: mock.url,
      headers: {},
    });
    const response = await lifelineFetch({ trace: writer, logger: false })(
      `${mock.url}/v1/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-mock-scenario': 'plain',
          'x-mock-run': 'refused',
          'x-mock-faults': '{"kind":"http","status":400,"errorType":"invalid_request_error"}',
        },
        body: JSON.stringify({
          model: 'claude-opus-4-6',
          max_tokens: 1000,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      },
    );
    expect(response.status).toBe(400);
    await response.text();
    const trace = join(traceDir, readdirSync(traceDir)[0]!);
    const { incident } = JSON.parse((await cli(['analyze', trace, '--json'])).out) as AnalyzeResult;
    expect(incident.outcome).toBe('passthrough');
    expect(incident.failure).toMatchObject({
      kind: 'http-status',
      category: 'deployment config',
      recoverable: false,
    });
    const text = (await cli(['analyze', trace])).out;
    expect(text).toContain('the upstream answered 400 before any event');
    expect(text).not.toContain('no failure');
  });
});

describe('lifeline analyze on bad input', () => {
  async function expectBadInput(args: string[], pattern: RegExp): Promise<void> {
    const { code, out, err } = await cli(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(pattern);
  }

  it('rejects a missing file', async () => {
    await expectBadInput(['analyze', join(dir, 'nope.sse')], /no such file/);
  });

  it('says so when the HTML report cannot be written, and prints nothing else', async () => {
    await expectBadInput(
      ['analyze', SEED_CAPTURE_FILE, '--html', join(dir, 'no-such-dir', 'report.html')],
      /^lifeline analyze: cannot write .*no-such-dir.*report\.html: ENOENT/,
    );
  });

  it('rejects an empty file', async () => {
    const file = join(dir, 'empty.sse');
    writeFileSync(file, '');
    await expectBadInput(['analyze', file], /is empty/);
  });

  it('rejects a file that is neither SSE nor a trace', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'The stream dropped again at 10:07.\nNo idea why.\n');
    await expectBadInput(['analyze', file], /neither a raw SSE capture .* nor a lifeline trace/);
  });

  it('rejects JSON that is not a trace', async () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, '{"hello":"world"}\n');
    await expectBadInput(['analyze', file], /JSON but not a lifeline trace/);
  });

  it('rejects a truncated trace', async () => {
    const trace = await traceSeedRun('trace-truncated', false);
    const bytes = readFileSync(trace);
    const file = join(dir, 'truncated.jsonl');
    writeFileSync(file, bytes.subarray(0, bytes.length - 40));
    await expectBadInput(['analyze', file], /truncated: its last line \(\d+\) stops mid-record/);
  });

  it('rejects a directory', async () => {
    await expectBadInput(['analyze', dir], /is a directory/);
  });
});
