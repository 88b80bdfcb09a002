/**
 * (a) The real Python httpx client (what the Anthropic Python SDK uses) against the seed
 * scenario: it must fail exactly the way the reported incident did.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { captureHttpxDropTraceback, runHttpxStream, SYSTEM_PYTHON } from '../helpers/httpx.js';
import { SEED, useMock } from '../helpers/mock.js';

const HTTPX_DROP =
  'httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)';

const available = requireBinary('python3 with httpx (Debian python3-httpx)', {
  command: SYSTEM_PYTHON,
  args: ['-c', 'import httpx'],
});

describe.runIf(available)('httpx against the seed scenario', () => {
  const mock = useMock();

  it('fails with the incident error when the socket closes mid-chunk', async () => {
    const run = await runHttpxStream(mock.url, SEED);
    expect(run.exitCode).toBe(1);
    expect(run.lastLine).toBe(HTTPX_DROP);
  });

  it('has received every byte the mock wrote before the cut, the partial event included', async () => {
    const run = await runHttpxStream(mock.url, SEED);
    const record = mock.server.requests[0];
    expect(record?.sse?.outcome).toBe('dropped');
    expect(run.received).toBe(record?.sse?.bytes);
  });

  it('completes without error when the fault is turned off', async () => {
    const run = await runHttpxStream(mock.url, SEED, '{}');
    expect(run.exitCode).toBe(0);
    const total = mock.server.renderedEvents(SEED).reduce((sum, e) => sum + e.length, 0);
    expect(run.received).toBe(total);
  });

  it('exports a real traceback for the diagnostics tests, h11 cause included', async () => {
    const traceback = await captureHttpxDropTraceback();
    expect(traceback).toMatch(/^Traceback \(most recent call last\):/);
    expect(traceback).toContain('h11._util.RemoteProtocolError: peer closed connection');
    expect(traceback.trim().split('\n').at(-1)).toBe(HTTPX_DROP);
  });
});
