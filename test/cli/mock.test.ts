/**
 * `lifeline mock`: flags and errors through `main()` in this process (fast), and one run as a
 * user runs it: a child process serving requests until SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FAULT_KINDS } from '../../src/mock/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', MAIN, 'mock'];

/** Runs `lifeline mock ARGS` in this process, capturing what it writes. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['mock', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Resolves with stdout so far once `pattern` appears in it. */
function waitFor(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; got: ${out}`)),
      20_000,
    );
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

describe('lifeline mock', () => {
  // The command sets process.exitCode on bad input; it must not leak into the test worker.
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('--help documents the scenario format and every fault kind with an example', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const kind of FAULT_KINDS) expect(stdout).toContain(`{"kind":"${kind}"`);
    for (const field of [
      '"name"',
      '"message"',
      '"chunking"',
      '"eventsPerWrite"',
      '"prefill"',
      '"restate"',
      '"restartWord"',
      '"restateChars"',
      '"restateLines"',
      '"restateAll"',
      '"reopenFence"',
      '"preamble"',
      '"continuationThinking"',
      '"faults"',
    ]) {
      expect(stdout).toContain(field);
    }
    expect(stdout).toContain('x-mock-scenario');
  });

  it('serves the shipped scenarios, logs each response, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const banner = await waitFor(child, /scenarios \(\d+, from .*\): .*\n/);
      const url = /listening on (http:\/\/[\d.:]+)/.exec(banner)?.[1];
      expect(banner).toContain('seed-opus-4-6-code-execution');
      const logged = waitFor(child, /#1 \| unknown-block/);
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-mock-scenario': 'unknown-block',
          'x-mock-faults': '{}',
        },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      });
      expect(res.status).toBe(200);
      expect(await logged).toMatch(
        /#1 \| unknown-block \| scenario:unknown-block attempt 1 \| fresh \| 200 \| no fault/,
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('names the file and the field of an invalid scenario, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-mock-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'bad', message: {}, faults: { '1': { kind: 'explode' } } }),
    );
    const { code, stderr } = await run(['--scenario', file, '--port', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain(`lifeline mock: scenario ${file}: `);
    expect(stderr).toMatch(/: (message\.[a-z_]+|faults\.1\.kind): /);
  });

  it('rejects an invalid --fault with exit code 2', async () => {
    const { code, stderr } = await run([
      '--fault',
      '{"kind":"stall","afterEvents":1}',
      '--port',
      '0',
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'lifeline mock: --fault: ms: Invalid input: expected number, received undefined\n',
    );
  });
});
