/**
 * Runs the real Python httpx client (Debian's python3-httpx, /usr/bin/python3) against a mock
 * and returns what it printed: the traceback a user sees when a stream dies. Diagnostics tests
 * take their httpx samples from here rather than from a hand-written string.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMock } from '../../src/mock/index.js';
import { SCENARIOS_DIR, SEED } from './mock.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../interop/httpx_stream.py', import.meta.url));

export interface HttpxRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Body bytes httpx handed to the caller before it failed. */
  received: number;
  /** The last line of the traceback, e.g. `httpx.RemoteProtocolError: ...`. */
  lastLine: string;
}

/** Streams `scenario` from the mock at `url` with httpx; `faults` goes in `x-mock-faults`. */
export function runHttpxStream(url: string, scenario: string, faults?: string): Promise<HttpxRun> {
  const args = [SCRIPT, url, scenario, ...(faults === undefined ? [] : [faults])];
  return new Promise((resolve) => {
    const child = execFile(SYSTEM_PYTHON, args, { timeout: 60_000 }, (_error, stdout, stderr) => {
      const received = Number((/"received": (\d+)/.exec(stdout) ?? [])[1] ?? Number.NaN);
      const lastLine = stderr.trim().split('\n').at(-1) ?? '';
      resolve({ exitCode: child.exitCode, stdout, stderr, received, lastLine });
    });
  });
}

/**
 * The traceback httpx prints when the seed scenario's stream is dropped (a real sample, from
 * its own mock on a free port).
 */
export async function captureHttpxDropTraceback(): Promise<string> {
  const mock = await startMock({ scenarios: SCENARIOS_DIR });
  try {
    return (await runHttpxStream(mock.url, SEED)).stderr;
  } finally {
    await mock.close();
  }
}
