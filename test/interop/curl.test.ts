/**
 * (d) curl: receives exactly the bytes the mock meant to send up to the fault, and says how
 * the transfer ended (18: partial file, the server closed early; 56: receive failure, reset).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/mock/index.js';
import { requireBinary } from '../helpers/binaries.js';
import { fixtureScenario, SEED, useMock } from '../helpers/mock.js';

const available = requireBinary('curl', { command: 'curl', args: ['--version'] });

describe.runIf(available)('curl against the seed scenario', () => {
  const mock = useMock();
  const body = JSON.stringify({
    model: 'claude-opus-4-6',
    max_tokens: 32000,
    stream: true,
    messages: [{ role: 'user', content: 'Build the quarterly sales report.' }],
  });

  function curl(extraHeaders: string[] = []): Promise<{ code: number | null; stdout: Buffer }> {
    const args = ['-sN', '-X', 'POST', `${mock.url}/v1/messages`];
    for (const h of [
      'content-type: application/json',
      'x-api-key: test-key',
      'anthropic-version: 2023-06-01',
      'anthropic-beta: code-execution-2025-08-25,skills-2025-10-02',
      `x-mock-scenario: ${SEED}`,
      ...extraHeaders,
    ]) {
      args.push('-H', h);
    }
    args.push('-d', body);
    return new Promise((resolve) => {
      const child = execFile(
        'curl',
        args,
        { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
        (_e, stdout) => resolve({ code: child.exitCode, stdout }),
      );
    });
  }

  it('gets exactly the rendered bytes up to K bytes into event N, and exits 18 (partial transfer)', async () => {
    const { code, stdout } = await curl();
    const fault = fixtureScenario(SEED).faults['1'] as Extract<Fault, { kind: 'drop' }>;
    const events = mock.server.renderedEvents(SEED);
    const intended = Buffer.concat([
      ...events.slice(0, fault.event),
      events[fault.event!]!.subarray(0, fault.bytes),
    ]);
    expect(code).toBe(18);
    expect(stdout.length).toBe(intended.length);
    expect(stdout.equals(intended)).toBe(true);
  });

  it('exits 56 (receive failure) when the socket is reset instead of closed', async () => {
    const { code } = await curl(['x-mock-faults: {"1":{"kind":"reset","afterEvents":100}}']);
    expect(code).toBe(56);
  });

  it('gets the whole stream and exits 0 without a fault', async () => {
    const { code, stdout } = await curl(['x-mock-faults: {}']);
    expect(code).toBe(0);
    expect(stdout.equals(Buffer.concat(mock.server.renderedEvents(SEED) as Buffer[]))).toBe(true);
  });
});
