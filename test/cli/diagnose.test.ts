/**
 * `lifeline explain | doctor | diff` as commands: in-process through `main()` with stdout
 * captured, and as a subprocess where stdin or the process environment matter.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type Loopback, startUpstream } from '../helpers/loopback.js';

const CHUNKED =
  'httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs the real CLI in a child process (tsx), with extra environment and optional stdin. */
function runProcess(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

let upstream: Loopback;
let dir: string;

beforeAll(async () => {
  upstream = await startUpstream('streaming');
  dir = mkdtempSync(join(tmpdir(), 'lifeline-diagnose-'));
});

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  // Commands report bad input through process.exitCode; do not let it leak into later tests.
  process.exitCode = undefined;
});

describe('lifeline explain', () => {
  it('explains text given as arguments', async () => {
    const r = await run('explain', CHUNKED);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Recognised: httpx: connection closed in the middle of the response body',
    );
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('prints JSON with --json', async () => {
    const r = await run('explain', '--json', 'Error: socket hang up');
    expect(JSON.parse(r.stdout)).toMatchObject({
      recognised: true,
      best: { id: 'node-socket-hang-up' },
    });
  });

  it('reads --file', async () => {
    const file = join(dir, 'trace.txt');
    writeFileSync(file, `Traceback (most recent call last):\n  File "x.py", line 1\n${CHUNKED}\n`);
    const r = await run('explain', '--file', file, '--json');
    expect(JSON.parse(r.stdout).best.id).toBe('httpx-incomplete-chunked-read');
  });

  it('reads stdin with "-"', async () => {
    const r = await runProcess(['explain', '-'], {
      stdin:
        "requests.exceptions.ChunkedEncodingError: ('Connection broken: IncompleteRead(0 bytes read)', IncompleteRead(0 bytes read))",
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('requests-chunked-encoding-error');
  });

  it('says "not recognised" for unrelated text, with the closest signatures', async () => {
    const r = await run('explain', 'KeyError: content');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Not recognised');
    expect(r.stdout).toContain('Closest signatures');
  });

  it('exits 2 with one line on a missing file', async () => {
    const r = await run('explain', '--file', join(dir, 'missing.txt'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lifeline explain: cannot read .*missing\.txt: no such file\n$/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 with one line when there is no text', async () => {
    const r = await run('explain');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 on empty text', async () => {
    const r = await run('explain', '   ');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is empty');
  });
});

describe('lifeline doctor', () => {
  it('prints a JSON snapshot', async () => {
    const r = await run(
      'doctor',
      '--json',
      '--upstream',
      upstream.url,
      '--timeout-ms',
      '3000',
      '--python',
      'none',
    );
    const snapshot = JSON.parse(r.stdout);
    expect(snapshot).toMatchObject({
      schema: 'lifeline.doctor/1',
      upstream: { reachable: true, status: 200 },
    });
  });

  it('prints a report with sections and warnings', async () => {
    const r = await run(
      'doctor',
      '--upstream',
      upstream.url,
      '--sse-url',
      `${upstream.url}/stream`,
    );
    expect(r.stdout).toContain('Runtimes');
    expect(r.stdout).toContain('SSE buffering');
    expect(r.stdout).toContain('streaming');
    expect(r.stdout).toContain('Warnings');
  });

  it('checks the Python interpreters named with --python', async () => {
    const r = await run(
      'doctor',
      '--json',
      '--upstream',
      upstream.url,
      '--python',
      '/usr/bin/python3,/nonexistent/python',
    );
    const commands = JSON.parse(r.stdout).python.map((p: { command: string }) => p.command);
    expect(commands).toEqual(['/usr/bin/python3', '/nonexistent/python']);
  });

  it('exits 2 on a bad --timeout-ms', async () => {
    const r = await run('doctor', '--timeout-ms', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lifeline doctor: --timeout-ms must be a positive whole number of milliseconds, got "soon"\n',
    );
  });

  it('exits 2 on a malformed --upstream', async () => {
    const r = await run('doctor', '--upstream', 'api dot anthropic');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a valid URL');
  });

  it('never prints any part of the API key, in the report or in JSON', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test-SECRET123' };
    const before = upstream.seen.length;
    const [report, json] = await Promise.all([
      runProcess(['doctor', '--upstream', upstream.url, '--sse', '--python', 'none'], { env }),
      runProcess(['doctor', '--json', '--upstream', upstream.url, '--python', 'none'], { env }),
    ]);
    // The key was in the environment and was used: the upstream received it.
    expect(
      upstream.seen.slice(before).some((r) => r.headers['x-api-key'] === env.ANTHROPIC_API_KEY),
    ).toBe(true);
    for (const r of [report, json]) {
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('SECRET123');
      expect(r.stdout + r.stderr).not.toContain('sk-ant-test');
    }
    expect(JSON.parse(json.stdout).env.secrets.ANTHROPIC_API_KEY).toBe('set');
    expect(report.stdout).toMatch(/ANTHROPIC_API_KEY +set/);
  });
});

describe('lifeline diff', () => {
  async function snapshotFile(name: string, extraArgs: string[] = []): Promise<string> {
    const r = await run(
      'doctor',
      '--json',
      '--upstream',
      upstream.url,
      '--python',
      'none',
      ...extraArgs,
    );
    const file = join(dir, name);
    writeFileSync(file, r.stdout);
    return file;
  }

  it('compares two snapshots, riskiest first', async () => {
    const a = await snapshotFile('a.json', ['--sse-url', `${upstream.url}/stream`]);
    const b = await snapshotFile('b.json');
    const r = await run('diff', a, b);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`A = ${a}`);
    expect(r.stdout).toContain('sse.verdict');
    expect(r.stdout).toContain('Change one thing at a time');
    const json = await run('diff', '--json', a, b);
    expect(JSON.parse(json.stdout).differences[0]).toMatchObject({
      key: 'sse.verdict',
      a: 'streaming',
      b: 'skipped',
    });
  });

  it('exits 2 on a missing file', async () => {
    const r = await run('diff', join(dir, 'nope.json'), join(dir, 'nope2.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lifeline diff: cannot read .*nope\.json: no such file\n$/);
  });

  it('exits 2 on a file that is not a doctor snapshot', async () => {
    const other = join(dir, 'explain.json');
    writeFileSync(other, (await run('explain', '--json', CHUNKED)).stdout);
    const r = await run('diff', other, other);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a lifeline doctor snapshot');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 on a file that is not JSON', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    const r = await run('diff', bad, bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not JSON');
  });
});
