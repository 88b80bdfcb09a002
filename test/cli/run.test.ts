/**
 * `lifeline run -- <command>`: the command's Anthropic traffic goes through a private proxy.
 * Real processes: the lifeline CLI, a Node program using the real @anthropic-ai/sdk (which
 * reads ANTHROPIC_BASE_URL), the mock upstream over HTTP with a mid-stream drop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureScenario, useMock } from '../helpers/mock.js';

const mock = useMock();
const SCENARIO = 'plain-long-text';
/** A model that takes prefill and prints no SDK deprecation warning. */
const MODEL = 'claude-opus-4-1';

/** A program that streams one message with the SDK (base URL from the environment). */
const PROGRAM = `
import Anthropic from '@anthropic-ai/sdk';
const client = new Anthropic({
  apiKey: 'test-key',
  maxRetries: 0,
  defaultHeaders: JSON.parse(process.env.MOCK_HEADERS),
});
const message = await client.messages
  .stream({ model: process.env.MODEL, max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] })
  .finalMessage();
process.stdout.write(JSON.stringify(message.content));
process.exit(Number(process.env.EXIT_CODE ?? 0));
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lifeline(
  args: string[],
  env: Record<string, string>,
  onStdout?: (stdout: string, pid: number) => void,
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child.pid ?? 0);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function headers(faults?: unknown): string {
  return JSON.stringify({
    'x-mock-scenario': SCENARIO,
    'x-mock-run': `run-${Math.random()}`,
    ...(faults === undefined ? {} : { 'x-mock-faults': JSON.stringify(faults) }),
  });
}

const program = ['node', '--input-type=module', '-e', PROGRAM];

describe('lifeline run -- <command>', () => {
  it('protects the command: a mid-stream drop completes, one summary line, the JSON report, the exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-run-'));
    const report = join(dir, 'report.json');
    const expected = JSON.stringify(fixtureScenario(SCENARIO).message.content);
    const ran = await lifeline(
      ['run', '--upstream', mock.url, '--report', report, '--', ...program],
      {
        MOCK_HEADERS: headers({ '1': { kind: 'drop', event: 30, bytes: 25 } }),
        MODEL: MODEL,
        EXIT_CODE: '5',
      },
    );
    expect(ran.stderr).not.toMatch(/terminated|other side closed/);
    expect(ran.stdout).toBe(expected);
    expect(ran.code).toBe(5);
    expect(ran.stderr).toMatch(
      /^lifeline: 1 request, 1 drop, 1 recovered, ~[\d,]+ output tokens kept/m,
    );
    const summary = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ exitCode: 5, requests: 1, drops: 1, recovered: 1, failed: 0 });
    expect(summary.keptChars).toBeGreaterThan(0);
  });

  it('uses an ANTHROPIC_BASE_URL already set as the upstream, and prints nothing when nothing happened', async () => {
    const ran = await lifeline(['run', '--', ...program], {
      ANTHROPIC_BASE_URL: mock.url,
      MOCK_HEADERS: headers({}), // no fault (the scenario's own are overridden)
      MODEL: MODEL,
    });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(JSON.stringify(fixtureScenario(SCENARIO).message.content));
    expect(ran.stderr).toBe('');
    // The request went through the proxy: the mock saw it from lifeline (its user agent).
    expect(mock.server.requests.length).toBeGreaterThan(0);
  });

  it('--quiet prints no summary even after a drop', async () => {
    const ran = await lifeline(['run', '--quiet', '--upstream', mock.url, '--', ...program], {
      MOCK_HEADERS: headers({ '1': { kind: 'drop', event: 30, bytes: 25 } }),
      MODEL: MODEL,
    });
    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe('');
  });

  it('forwards SIGTERM to the command and exits with its code', async () => {
    let signalled = false;
    const ran = await lifeline(
      [
        'run',
        '--upstream',
        mock.url,
        '--',
        'node',
        '-e',
        "process.on('SIGTERM', () => { process.stdout.write(' got SIGTERM'); process.exit(7); }); process.stdout.write('ready'); setInterval(() => {}, 1000);",
      ],
      {},
      (stdout, pid) => {
        // The command is up and listening for the signal: signal lifeline, not the command.
        if (!signalled && stdout.includes('ready')) {
          signalled = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    );
    expect(ran.stdout).toBe('ready got SIGTERM');
    expect(ran.code).toBe(7);
  });

  it('fails clearly when the command does not exist (exit 127) or is missing (exit 2)', async () => {
    const missing = await lifeline(
      ['run', '--upstream', mock.url, '--', 'no-such-command-xyz'],
      {},
    );
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/cannot run "no-such-command-xyz": command not found/);
    const none = await lifeline(['run'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument|command/);
  });
});
