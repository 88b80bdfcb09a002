/**
 * How `explain` matches: normalisation, scoring, ranking and confidence. The realistic samples
 * for every signature are in explain-samples.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  explain,
  explainToJson,
  MAX_EXPLAIN_CHARS,
  normaliseErrorText,
  renderExplain,
  SIGNATURES,
  type Signature,
} from '../../../src/diagnose/index.js';

const CHUNKED =
  'httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)';

describe('normalisation', () => {
  it('collapses whitespace, including line breaks, to single spaces', () => {
    expect(normaliseErrorText('a\n   b\r\n\tc').spaced).toBe('a b c');
  });

  it('strips ANSI colour and hyperlink escapes', () => {
    const text = '\u001b[31mError\u001b[0m \u001b]8;;https://x\u0007link\u001b]8;;\u0007';
    expect(normaliseErrorText(text).spaced).toBe('Error link');
  });

  it('unifies curly quotes', () => {
    expect(normaliseErrorText('\u2018a\u2019 \u201cb\u201d').spaced).toBe(`'a' "b"`);
  });

  it('undoes JSON escapes of line breaks and quotes', () => {
    expect(normaliseErrorText('a\\nb \\"c\\"').spaced).toBe('a b "c"');
  });
});

describe('matching', () => {
  it('recognises a one-line error', () => {
    expect(explain(CHUNKED).matches[0]?.signature.id).toBe('httpx-incomplete-chunked-read');
  });

  it('matches a key phrase that a terminal wrapped mid-word', () => {
    const wrapped =
      'peer closed connection without sending complete message body (incomplete chun\nked read)';
    expect(explain(wrapped).matches[0]?.signature.id).toBe('httpx-incomplete-chunked-read');
  });

  it('matches key phrases whatever the quoting', () => {
    const backticks =
      'messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1';
    const single =
      "messages.2: 'tool_use' ids were found without 'tool_result' blocks immediately after: toolu_1";
    expect(explain(backticks).matches[0]?.signature.id).toBe('tool-use-unpaired');
    expect(explain(single).matches[0]?.signature.id).toBe('tool-use-unpaired');
  });

  it('ignores case in key phrases', () => {
    expect(explain('SOCKET HANG UP').matches[0]?.signature.id).toBe('node-socket-hang-up');
  });

  it('is not confused by stack frames around the error', () => {
    const frames = Array.from(
      { length: 200 },
      (_, i) => `    at fn${i} (/srv/app/node_modules/@anthropic-ai/sdk/client.mjs:${i}:1)`,
    );
    const text = [
      'TypeError: terminated',
      ...frames,
      '  [cause]: SocketError: other side closed',
      "    code: 'UND_ERR_SOCKET'",
    ].join('\n');
    expect(explain(text).matches[0]?.signature.id).toBe('node-fetch-terminated');
  });

  it('lists the evidence it found', () => {
    const best = explain(CHUNKED).matches[0];
    expect(best?.evidence).toContain('incomplete chunked read');
    expect(best?.evidence).toContain('httpx.RemoteProtocolError');
  });

  it('ranks the cause above a generic wrapper, even when the wrapper scores more', () => {
    const text =
      'APIConnectionError: Connection error.\n  cause: TypeError: fetch failed\n    [cause]: Error: getaddrinfo EAI_AGAIN api.anthropic.com';
    const ids = explain(text).matches.map((m) => m.signature.id);
    expect(ids[0]).toBe('node-enotfound');
    expect(ids).toContain('sdk-connection-error');
    expect(ids).toContain('node-fetch-failed');
  });

  it('ranks a specific 400 above the generic invalid_request_error', () => {
    const text =
      "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'This model does not support assistant message prefill. The conversation must end with a user message.'}}";
    const result = explain(text);
    expect(result.matches.map((m) => m.signature.id)).toEqual([
      'prefill-not-supported',
      'invalid-request-400',
    ]);
  });

  it('tells an SSE error event mid-stream from a 529 before the stream', () => {
    const midStream =
      'APIError: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    const before =
      'OverloadedError: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    expect(explain(midStream).matches[0]?.signature.id).toBe('sdk-sse-error-event');
    expect(explain(before).matches[0]?.signature.id).toBe('overloaded-529');
  });

  it('does not read a status code out of a port or line number', () => {
    const text = 'File "/srv/app/main.py", line 529, in run\nConnecting to 127.0.0.1:529';
    expect(explain(text).recognised).toBe(false);
  });

  it('gives high confidence to strong, unambiguous evidence', () => {
    expect(explain(CHUNKED).matches[0]).toMatchObject({ level: 'high', recognised: true });
  });

  it('returns the 3 closest signatures, with low confidence, for unrecognised text', () => {
    const result = explain('the connection was closed unexpectedly while reading the stream');
    expect(result.recognised).toBe(false);
    expect(result.closest).toHaveLength(3);
    expect(result.closest.every((m) => !m.recognised && m.level === 'low')).toBe(true);
    const scores = result.closest.map((m) => m.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('rejects empty text', () => {
    expect(() => explain('  \n ')).toThrow(TypeError);
  });

  it('reads only the end of a very long input, and says so', () => {
    const text = `${'x'.repeat(MAX_EXPLAIN_CHARS)}\n${CHUNKED}`;
    const result = explain(text);
    expect(result.truncated).toBe(true);
    expect(result.matches[0]?.signature.id).toBe('httpx-incomplete-chunked-read');
  });

  it('can match against a custom signature list', () => {
    const custom: Signature = {
      ...SIGNATURES[0]!,
      id: 'custom',
      patterns: [{ phrase: 'flux capacitor', weight: 12 }],
    };
    expect(
      explain('Flux  Capacitor overload', { signatures: [custom] }).matches[0]?.signature.id,
    ).toBe('custom');
  });
});

describe('knowledge base', () => {
  it('has at least 34 signatures with unique ids', () => {
    expect(SIGNATURES.length).toBeGreaterThanOrEqual(34);
    expect(new Set(SIGNATURES.map((s) => s.id)).size).toBe(SIGNATURES.length);
  });

  it.each(SIGNATURES.map((s) => [s.id, s] as const))('%s is complete', (_id, s) => {
    expect(CATEGORIES).toContain(s.category);
    expect(['yes', 'no', 'partly']).toContain(s.lifelineRecovers);
    expect(s.recoveryNote.length).toBeGreaterThan(20);
    expect(s.meaning.length).toBeGreaterThan(40);
    expect(s.likelyCauses.length).toBeGreaterThan(0);
    expect(s.fixes.length).toBeGreaterThan(0);
    expect(s.docs.length).toBeGreaterThan(0);
    // At least one pattern must be able to recognise the signature on its own, or with others.
    expect(s.patterns.reduce((n, p) => n + p.weight, 0)).toBeGreaterThanOrEqual(10);
  });
});

describe('report', () => {
  it('prints the meaning, causes, fixes and recovery for a recognised error', () => {
    const text = renderExplain(explain(CHUNKED));
    expect(text).toContain(
      'Recognised: httpx: connection closed in the middle of the response body',
    );
    expect(text).toContain('network/transport');
    expect(text).toContain('Fixes, in order');
    expect(text).toContain('Does lifeline recover it? yes');
    expect(text).toContain('httpx: Exceptions');
  });

  it('says "not recognised" and lists the closest signatures with their scores', () => {
    const text = renderExplain(explain('the printer is on fire'));
    expect(text).toContain('Not recognised');
    expect(text.match(/^ {2}\d\. /gm)).toHaveLength(3);
    expect(text).toMatch(/score \d+/);
  });

  it('has a JSON form with the best match first', () => {
    const json = explainToJson(explain(CHUNKED));
    expect(json).toMatchObject({
      schema: 'lifeline.explain/1',
      recognised: true,
      best: { id: 'httpx-incomplete-chunked-read', lifelineRecovers: 'yes' },
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
