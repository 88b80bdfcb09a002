/**
 * The real Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`, `query()`, which runs its own
 * bundled Claude Code) against the mock upstream with faults, through lifeline and, as a
 * baseline, straight to the mock. Same environment and assertions as claude-code.test.ts: the
 * exact result, every recovery a continuation (mock log and lifeline's recovery reports).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { query, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockServer, startMock } from '../../src/mock/index.js';
import { type ProxyServer, resolveProxyConfig, startProxy } from '../../src/proxy/index.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { requireBinary } from '../helpers/binaries.js';
import {
  AFTER_TOOL_TEXT,
  ANSWER_TEXT,
  agentDirs,
  agentEnv,
  MODEL_46,
  MODEL_OLD,
  mockHeadersFor,
  type RunLog,
  runLog,
  TOOL_CONTENT,
  TOOL_FILE,
  textScenario,
  toolScenario,
} from './agents.js';

/**
 * The Claude Code binary the SDK runs: its platform package's (glibc Linux, macOS; a musl
 * system's package has a `-musl` suffix and is not probed here).
 */
function sdkBinary(): string {
  const require = createRequire(import.meta.url);
  const name = `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}`;
  try {
    return join(require.resolve(`${name}/package.json`), '..', 'claude');
  } catch {
    return name;
  }
}

const available = requireBinary('Claude Agent SDK (npm @anthropic-ai/claude-agent-sdk)', {
  command: sdkBinary(),
  args: ['--version'],
});

const STALL_TIMEOUT_MS = 1_500;
const DROP_MID_TEXT = { '1': { kind: 'drop', event: 40, bytes: 30 } };
const DROP_MID_TOOL = { '1': { kind: 'drop', event: 60, bytes: 20 } };
const DOUBLE_WITH_STALL = {
  '1': { kind: 'drop', afterEvents: 30 },
  '2': { kind: 'stall', afterEvents: 20, ms: 20_000 },
};

interface SdkRun {
  result: SDKResultMessage | undefined;
  log: RunLog;
  reports: RecoveryReport[];
  written: string | undefined;
}

describe.runIf(available)('Agent SDK query() through lifeline and without it', () => {
  const dirs = agentDirs('agent-sdk');
  let mock: MockServer;
  let proxy: ProxyServer;
  let reports: RecoveryReport[] = [];
  let runs = 0;

  beforeAll(async () => {
    mock = await startMock({
      scenarios: [
        textScenario('agent-text-46', MODEL_46),
        toolScenario('agent-tool-old', MODEL_OLD, dirs.work),
      ],
    });
    proxy = await startProxy({
      ...resolveProxyConfig({ upstream: mock.url, port: 0, stallTimeoutMs: STALL_TIMEOUT_MS }, {}),
      logDestination: { write: () => true } as unknown as NodeJS.WritableStream,
      onReport: (r) => reports.push(r),
    });
  });
  afterAll(async () => {
    await proxy?.close(100);
    await mock?.close();
    rmSync(dirs.home, { recursive: true, force: true });
  });
  beforeEach(() => {
    reports = [];
    rmSync(join(dirs.work, TOOL_FILE), { force: true });
  });

  async function ask(
    scenario: string,
    model: string,
    faults: unknown,
    baseUrl: string,
    extra: Record<string, string> = {},
  ): Promise<SdkRun> {
    const runId = `sdk-${++runs}-${scenario}`;
    const env = agentEnv({
      baseUrl,
      ...dirs,
      mockHeaders: mockHeadersFor(scenario, runId, faults),
      extra,
    });
    let result: SDKResultMessage | undefined;
    for await (const message of query({
      prompt: 'Explain how the retry budget works, then write the notes file.',
      options: { env, cwd: dirs.work, model, allowedTools: ['Write'], maxTurns: 4 },
    })) {
      if (message.type === 'result') result = message;
    }
    const file = join(dirs.work, TOOL_FILE);
    return {
      result,
      log: runLog(mock.requests, runId),
      reports: [...reports],
      written: existsSync(file) ? readFileSync(file, 'utf8') : undefined,
    };
  }

  function expectResult(run: SdkRun, text: string): void {
    expect(run.result?.subtype).toBe('success');
    expect(run.result?.is_error).toBe(false);
    expect(run.result?.subtype === 'success' && run.result.result).toBe(text);
  }

  function expectContinuationsOnly(run: SdkRun, kinds: string[]): void {
    expect(run.log.kinds).toEqual(kinds);
    expect(run.log.regeneratedTokens).toBe(0);
    expect(run.log.nonStreaming).toBe(0);
  }

  it('through lifeline: a drop mid-text on 4.6 is continued by a turn, the text exact', async () => {
    const run = await ask('agent-text-46', MODEL_46, DROP_MID_TEXT, proxy.url);
    expectResult(run, ANSWER_TEXT);
    expectContinuationsOnly(run, ['fresh', 'continuation']);
    expect(run.reports[0]).toMatchObject({
      outcome: 'recovered',
      failures: ['socket'],
      strategies: ['continue'],
    });
  });

  it('through lifeline: a drop and then a stall of the continuation on 4.6 are both continued', async () => {
    const run = await ask('agent-text-46', MODEL_46, DOUBLE_WITH_STALL, proxy.url);
    expectResult(run, ANSWER_TEXT);
    expectContinuationsOnly(run, ['fresh', 'continuation', 'continuation']);
    expect(run.reports[0]).toMatchObject({
      outcome: 'recovered',
      failures: ['socket', 'stall'],
      strategies: ['continue', 'continue'],
    });
  });

  it('through lifeline: a drop mid tool input on an older model is continued by prefill', async () => {
    const run = await ask('agent-tool-old', MODEL_OLD, DROP_MID_TOOL, proxy.url, {
      MAX_THINKING_TOKENS: '0',
    });
    expectResult(run, AFTER_TOOL_TEXT);
    expect(run.written).toBe(TOOL_CONTENT);
    expectContinuationsOnly(run, ['fresh', 'prefill', 'next-turn']);
    expect(run.reports[0]).toMatchObject({ outcome: 'recovered', strategies: ['prefill'] });
  });

  it('baseline, straight to the mock: a drop mid-text makes it ask for the whole answer again', async () => {
    const run = await ask('agent-text-46', MODEL_46, DROP_MID_TEXT, mock.url);
    expectResult(run, ANSWER_TEXT);
    expect(run.log.kinds).toEqual(['fresh', 'fresh']);
    expect(run.log.regeneratedTokens).toBe(mock.scenarios[0]!.message.usage.output_tokens);
  });
});
