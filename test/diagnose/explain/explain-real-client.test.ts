/**
 * `explain` on an error taken from a real client run, not typed by hand: Python httpx streaming
 * the seed scenario from the mock dies with the reported traceback, which must be recognised as
 * the incomplete-chunked-read signature, said to be recovered by lifeline.
 */
import { describe, expect, it } from 'vitest';
import { explain } from '../../../src/diagnose/index.js';
import { requireBinary } from '../../helpers/binaries.js';
import { captureHttpxDropTraceback, SYSTEM_PYTHON } from '../../helpers/httpx.js';

const available = requireBinary('python3-httpx', {
  command: SYSTEM_PYTHON,
  args: ['-c', 'import httpx'],
});

describe.runIf(available)('explain on a real httpx traceback', () => {
  it('recognises the reported RemoteProtocolError as the top match, recovered by lifeline', async () => {
    const traceback = await captureHttpxDropTraceback();
    expect(traceback).toContain(
      'httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)',
    );
    const result = explain(traceback);
    expect(result.recognised).toBe(true);
    expect(result.matches[0]?.signature.id).toBe('httpx-incomplete-chunked-read');
    expect(result.matches[0]?.signature.lifelineRecovers).toBe('yes');
  });
});
