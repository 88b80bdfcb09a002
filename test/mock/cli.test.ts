/** `lifeline mock`, run as a user runs it: a child process, its output, its exit code. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../src/mock/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', MAIN, 'mock'];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { timeout: 30_000 },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
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
