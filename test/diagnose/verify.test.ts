import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/diagnose/index.js';
import { firstDifference } from '../../src/diagnose/verify/compare.js';
import { loadScenarioFile, type MockServer, startMock } from '../../src/mock/index.js';
import {
  SEED_BETAS,
  SEED_REQUEST,
  SEED_SCENARIO_FILE,
} from '../fixtures/captures/make-seed-capture.js';
import { cli } from '../helpers/cli.js';

let dir: string;
let upstream: MockServer;
let requestFile: string;
const SECRET = 'sk-ant-verify-test-secret';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-verify-'));
  // An upstream for --request runs: the mock serving the seed scenario, faults and all.
  upstream = await startMock({ scenarios: [loadScenarioFile(SEED_SCENARIO_FILE)] });
  requestFile = join(dir, 'request.json');
  writeFileSync(requestFile, JSON.stringify(SEED_REQUEST));
});

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lifeline verify --scenario', () => {
  it('passes every run of the seed incident, each recovered by a continuation turn', async () => {
    const { code, out, err } = await cli([
      'verify',
      '--scenario',
      SEED_SCENARIO_FILE,
      '--runs',
      '2',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    for (const n of [1, 2]) {
      expect(out).toContain(`run ${n}/2: pass, recovered (socket -> continue), 2 attempts`);
    }
    expect(out).toContain('Recoveries: 2 of 2 runs needed one (continue x2); 4 attempts in all.');
    expect(out).toMatch(/Timings: p50 [\d.]+ m?s, max [\d.]+ m?s/);
    expect(out).toContain('PASS: all 2 runs completed through lifeline.');
  });

  it('reports runs, recoveries and timings in --json', async () => {
    const { code, out } = await cli([
      'verify',
      '--scenario',
      SEED_SCENARIO_FILE,
      '--runs',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out) as VerifyResult;
    expect(result.target).toMatchObject({ kind: 'scenario', name: 'seed-opus-4-6-code-execution' });
    expect(result.passed).toBe(2);
    expect(result.failed).toBe(0);
    expect(result.runs.map((r) => [r.pass, r.outcome, r.attempts, r.strategies])).toEqual([
      [true, 'recovered', 2, ['continue']],
      [true, 'recovered', 2, ['continue']],
    ]);
    expect(result.recoveries).toEqual({ runs: 2, strategies: { continue: 2 }, attempts: 4 });
    expect(result.timings.p50Ms).toBeGreaterThan(0);
    expect(result.timings.p50Ms).toBeLessThanOrEqual(result.timings.maxMs);
  });

  it('finds a shipped scenario by name and applies --fault instead of its own faults', async () => {
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'plain-long-text',
      '--runs',
      '2',
      '--fault',
      '{"1":{"kind":"drop","afterEvents":20},"2":{"kind":"eof","afterEvents":15}}',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out) as VerifyResult;
    expect(result.runs.map((r) => r.failures)).toEqual([
      ['socket', 'eof'],
      ['socket', 'eof'],
    ]);
    expect(result.passed).toBe(2);
  });

  it('fails, exit 1, when the faults outlast the attempt budget', async () => {
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'plain-long-text',
      '--runs',
      '2',
      '--max-attempts',
      '2',
      '--fault',
      '{"*":{"kind":"drop","afterEvents":3}}',
    ]);
    expect(code).toBe(1);
    expect(out).toContain('run 1/2: FAIL, failed (socket x2 -> restart), 2 attempts');
    expect(out).toContain('why: stream interrupted: attempt budget spent');
    expect(out).toContain('FAIL: 2 of 2 runs did not complete.');
  });

  it('rewrites one progress line on a TTY', async () => {
    const { code, out } = await cli(['verify', '--scenario', 'unknown-block', '--runs', '2'], {
      tty: true,
    });
    expect(code).toBe(0);
    expect(out).toContain('\rrun 1/2');
    expect(out).toContain('\rrun 2/2');
    expect(out).toContain('\r\x1b[K');
    // The run lines come once, in the final report after the progress line is cleared.
    expect(out.split('run 1/2: pass')).toHaveLength(2);
  });
});

describe('lifeline verify --request', () => {
  it('sends a recorded request through lifeline to the upstream; every run completes', async () => {
    const { code, out, err } = await cli(
      [
        'verify',
        '--request',
        requestFile,
        '--upstream',
        upstream.url,
        '--runs',
        '2',
        '-H',
        `anthropic-beta: ${SEED_BETAS}`,
        '--json',
      ],
      { env: { ANTHROPIC_API_KEY: SECRET } },
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(out) as VerifyResult;
    expect(result.target).toMatchObject({
      kind: 'request',
      model: 'claude-opus-4-6',
      upstream: upstream.url,
    });
    expect(result.runs.map((r) => [r.pass, r.outcome, r.strategies])).toEqual([
      [true, 'recovered', ['continue']],
      [true, 'recovered', ['continue']],
    ]);
    expect(out).not.toContain(SECRET);
  });

  it('sends --fault to a mock upstream as x-mock-faults, one run id per run', async () => {
    upstream.reset();
    const { code, out } = await cli([
      'verify',
      '--request',
      requestFile,
      '--upstream',
      `${upstream.url}/v1/messages`,
      '--runs',
      '2',
      '-H',
      `anthropic-beta: ${SEED_BETAS}`,
      '--fault',
      '{"1":{"kind":"drop","afterEvents":100},"2":{"kind":"error","afterEvents":30,"errorType":"overloaded_error"}}',
    ]);
    expect(code).toBe(0);
    expect(out).toContain(
      'run 1/2: pass, recovered (socket, error-event -> continue x2), 3 attempts',
    );
    expect(new Set(upstream.requests.map((r) => r.runId)).size).toBe(2);
  });

  it('fails a run whose upstream refuses the request, with the API error as the reason', async () => {
    const { code, out } = await cli([
      'verify',
      '--request',
      requestFile,
      '--upstream',
      upstream.url,
      '--runs',
      '1',
    ]);
    expect(code).toBe(1);
    expect(out).toContain(
      'why: the upstream answered 400 invalid_request_error: This request uses tools',
    );
  });
});

describe('lifeline verify on bad input', () => {
  async function expectBadInput(args: string[], pattern: RegExp): Promise<void> {
    const { code, out, err } = await cli(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(pattern);
  }

  it('wants exactly one of --scenario and --request', async () => {
    await expectBadInput(['verify'], /exactly one of --scenario/);
    await expectBadInput(
      ['verify', '--scenario', 'plain-long-text', '--request', requestFile],
      /exactly one of --scenario/,
    );
  });

  it('rejects an unknown scenario name, listing the shipped ones', async () => {
    await expectBadInput(
      ['verify', '--scenario', 'no-such'],
      /no scenario named "no-such" \(shipped: .*plain-long-text/,
    );
  });

  it('rejects an invalid scenario file', async () => {
    const file = join(dir, 'bad-scenario.json');
    writeFileSync(file, '{"name":"x"}');
    await expectBadInput(['verify', '--scenario', file], /scenario .*bad-scenario\.json: message/);
  });

  it('rejects a missing or non-JSON request file', async () => {
    await expectBadInput(['verify', '--request', join(dir, 'none.json')], /no such request file/);
    const file = join(dir, 'not-json.json');
    writeFileSync(file, 'model: opus');
    await expectBadInput(['verify', '--request', file, '--upstream', upstream.url], /is not JSON/);
  });

  it('rejects a request body without messages', async () => {
    const file = join(dir, 'no-messages.json');
    writeFileSync(file, '{"model":"claude-opus-4-6","max_tokens":10}');
    await expectBadInput(
      ['verify', '--request', file, '--upstream', upstream.url],
      /messages: an array/,
    );
  });

  it('rejects a bad --runs and a bad --fault', async () => {
    await expectBadInput(
      ['verify', '--scenario', 'plain-long-text', '--runs', 'ten'],
      /--runs must be a whole number/,
    );
    await expectBadInput(
      ['verify', '--scenario', 'plain-long-text', '--fault', '{"kind":"zap"}'],
      /--fault\.kind/,
    );
    await expectBadInput(
      ['verify', '--scenario', 'plain-long-text', '--fault', '{oops'],
      /--fault is not JSON/,
    );
  });
});

describe('firstDifference', () => {
  it('names the first differing path of two messages', () => {
    const expected = { content: [{ type: 'text', text: 'hello world' }], stop_reason: 'end_turn' };
    const actual = { content: [{ type: 'text', text: 'hello there' }], stop_reason: 'end_turn' };
    expect(firstDifference(expected, actual)).toBe(
      'content[0].text: strings differ at char 6 (expected "hello world", got "hello there")',
    );
  });

  it('counts missing blocks', () => {
    expect(firstDifference({ content: [1, 2, 3] }, { content: [1, 2] })).toBe(
      'content: expected 3 items, got 2',
    );
  });

  it('finds nothing in equal messages whatever their key order', () => {
    expect(
      firstDifference({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ d: 3, c: 2 }], a: 1 }),
    ).toBeUndefined();
  });
});
