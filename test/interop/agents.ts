/**
 * Shared by the interop tests of the real coding agents (Claude Code's CLI, the Agent SDK):
 * the scenarios an agent's turn is answered with, the agent's environment (telemetry and
 * non-essential traffic off, a private config dir, a fake key), running `claude -p`, and what
 * the mock's request log says about a run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockRequestRecord } from '../../src/mock/index.js';
import { estimateTokens, parseScenario, type Scenario } from '../../src/mock/index.js';

const require = createRequire(import.meta.url);

/**
 * The Claude Code CLI installed by npm. `@anthropic-ai/claude-code` is a wrapper whose
 * postinstall links its platform package's native binary (a Bun executable: it needs no
 * particular Node, so it runs on Node 20 although the wrapper declares node >= 22) over
 * `bin/claude.exe`. The platform package's binary is used directly when present, so the tests
 * do not depend on install scripts being allowed.
 */
export const CLAUDE_BIN = claudeBinary();

function claudeBinary(): string {
  const wrapper = join(require.resolve('@anthropic-ai/claude-code/package.json'), '..');
  try {
    const platform = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
    const native = join(require.resolve(`${platform}/package.json`, { paths: [wrapper] }), '..');
    const binary = join(native, 'claude');
    if (existsSync(binary)) return binary;
  } catch {
    // No platform package (another libc, or optional dependencies omitted): the wrapper's bin.
  }
  return join(wrapper, 'bin', 'claude.exe');
}

/** A Claude 4.6 model: refuses prefill, so lifeline continues with a continuation turn. */
export const MODEL_46 = 'claude-opus-4-6';
/**
 * An older model that takes prefill. Claude Code turns thinking on for it unless
 * MAX_THINKING_TOKENS=0 (and a request with thinking is continued by a turn, not prefill).
 */
export const MODEL_OLD = 'claude-sonnet-4-5';

/** A deterministic answer long enough to be cut mid-text: paragraphs, a list, code. */
export const ANSWER_TEXT = [
  'Here is how the retry budget works, step by step.',
  '',
  'Each request gets a budget of attempts and an overall deadline. When the upstream stream breaks after some content has been delivered, the proxy does not start the answer again: it asks the model to continue from the exact point where the text stopped, and joins the two parts at a seam that it checks for repeated or missing words.',
  '',
  '1. The first attempt streams normally and every event is forwarded as it arrives.',
  '2. A dropped connection, a stall or an overloaded error ends the attempt; what was delivered stays delivered.',
  '3. The next attempt sends the partial answer back and receives only the rest of it.',
  '4. The client sees one uninterrupted message with a single message_stop.',
  '',
  '```ts',
  'const budget = { attempts: 6, deadlineMs: 600_000 };',
  'for (let attempt = 1; attempt <= budget.attempts; attempt++) {',
  '  const rest = await continueFrom(partial, attempt);',
  '  if (rest.complete) return join(partial, rest);',
  '}',
  '```',
  '',
  'That is why a long answer survives a network blip without regenerating a single token that was already paid for, and why the final text is exactly what the model meant to write.',
].join('\n');

/** The file the tool scenario writes, and its content (big enough to be cut mid-input). */
export const TOOL_FILE = 'notes/retry-budget.md';
export const TOOL_CONTENT = Array.from(
  { length: 40 },
  (_, i) =>
    `- Step ${i + 1}: attempt ${i + 1} keeps what was delivered and asks only for the rest (seam ${i * 7 + 3}).`,
).join('\n');
export const AFTER_TOOL_TEXT = 'I wrote the retry notes to notes/retry-budget.md.';

/** Output tokens of a message's content: the mock's estimate (4 bytes a token), as for its continuations. */
export function contentTokens(content: unknown): number {
  return estimateTokens(Buffer.byteLength(JSON.stringify(content)));
}

function message(model: string, content: unknown[], stopReason: string) {
  return {
    id: 'msg_01AgentScenario000000000',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 2400, output_tokens: contentTokens(content) },
  };
}

/** `agent-text-<tag>`: one long text answer. */
export function textScenario(name: string, model: string): Scenario {
  return parseScenario(
    {
      name,
      description: 'A coding agent asks a question; the answer is one long text block.',
      chunking: { text: 12, json: 48 },
      message: message(model, [{ type: 'text', text: ANSWER_TEXT }], 'end_turn'),
    },
    `${name}.json`,
  );
}

/**
 * `agent-tool-<tag>`: a sentence, then a Write tool use with a large input (the file goes into
 * `workdir`), then, once the agent sends the tool's result, a short closing text.
 */
export function toolScenario(name: string, model: string, workdir: string): Scenario {
  return parseScenario(
    {
      name,
      description: 'A coding agent writes a file with its Write tool, then says it is done.',
      chunking: { text: 12, json: 48 },
      message: message(
        model,
        [
          { type: 'text', text: 'I will write the notes file now.' },
          {
            type: 'tool_use',
            id: 'toolu_01AgentWrite0000000000',
            name: 'Write',
            input: { file_path: join(workdir, TOOL_FILE), content: TOOL_CONTENT },
          },
        ],
        'tool_use',
      ),
      nextTurn: message(model, [{ type: 'text', text: AFTER_TOOL_TEXT }], 'end_turn'),
    },
    `${name}.json`,
  );
}

/** A fresh private directory for one agent run: HOME, config dir and working directory. */
export function agentDirs(tag: string): { home: string; config: string; work: string } {
  const home = mkdtempSync(join(tmpdir(), `lifeline-agents-${tag}-`));
  const config = join(home, '.claude');
  const work = join(home, 'work');
  mkdirSync(config);
  mkdirSync(join(work, 'notes'), { recursive: true });
  return { home, config, work };
}

/**
 * The environment of an agent under test: only what it needs (no inherited ANTHROPIC_* or
 * credentials), telemetry, auto-update and non-essential traffic off, a fake key, the base URL,
 * and the mock's control headers via ANTHROPIC_CUSTOM_HEADERS (sent on every request).
 */
export function agentEnv(options: {
  baseUrl: string;
  home: string;
  config: string;
  mockHeaders: Record<string, string>;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.home,
    CLAUDE_CONFIG_DIR: options.config,
    ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-interop-tests-0000000000',
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_CUSTOM_HEADERS: Object.entries(options.mockHeaders)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...options.extra,
  };
}

/** The mock's control headers for one run of an agent. */
export function mockHeadersFor(
  scenario: string,
  runId: string,
  faults?: unknown,
): Record<string, string> {
  return {
    'x-mock-scenario': scenario,
    'x-mock-run': runId,
    'x-mock-agent': '1',
    ...(faults === undefined ? {} : { 'x-mock-faults': JSON.stringify(faults) }),
  };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to its end (stdin closed), with a timeout that kills it. */
export function runProgram(
  file: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number },
): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Claude Code's `--output-format json` result. */
export interface ClaudeResult {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
  api_error_status?: number | null;
  usage?: { output_tokens?: number };
}

export function parseClaudeResult(stdout: string): ClaudeResult | undefined {
  const line = stdout.trim().split('\n').at(-1);
  if (line === undefined || line === '') return undefined;
  try {
    return JSON.parse(line) as ClaudeResult;
  } catch {
    return undefined;
  }
}

/** What the mock's log says about one run (its `x-mock-run` id). */
export interface RunLog {
  /** The run's requests to the scenario, side requests left out, in order. */
  turns: MockRequestRecord[];
  kinds: string[];
  /** Requests that asked for the whole message again (a fresh request after the first). */
  regenerations: number;
  /** Non-streaming requests. */
  nonStreaming: number;
  /** Side requests (titles, topic checks): not part of the turn. */
  side: number;
  /**
   * Output tokens of the whole messages asked for again: every fresh request after the first
   * regenerates the answer from its first token (the mock's usage figures).
   */
  regeneratedTokens: number;
}

export function runLog(requests: readonly MockRequestRecord[], runId: string): RunLog {
  const mine = requests.filter((r) => r.runId === runId);
  const turns = mine.filter((r) => r.kind !== 'side');
  return {
    turns,
    kinds: turns.map((r) => `${r.kind}${r.stream ? '' : '(json)'}`),
    regenerations: turns.filter((r) => r.kind === 'fresh').length - 1,
    nonStreaming: turns.filter((r) => !r.stream).length,
    side: mine.length - turns.length,
    regeneratedTokens: turns
      .filter((r) => r.kind === 'fresh')
      .slice(1)
      .reduce((sum, r) => sum + (r.outputTokens ?? 0), 0),
  };
}
