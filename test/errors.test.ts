/**
 * One error base: every error class in src/ extends LifelineError and has a `type` to switch
 * on; the messages are the ones each class always had.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AnalyzeInputError,
  DoctorOptionError,
  SnapshotError,
  TraceReadError,
  VerifyInputError,
} from '../src/diagnose/index.js';
import { LifelineError } from '../src/index.js';
import { InvalidEventJsonError, NoMessageError } from '../src/message/index.js';
import { ScenarioError } from '../src/mock/public.js';
import { ClientClosedError, ProxyConfigError, ShutdownError } from '../src/proxy/index.js';
import { SpliceProtocolError } from '../src/resume/index.js';
import { SseDecoder, SseError } from '../src/sse/index.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Error classes that must not share the base, and why. */
const NOT_LIFELINE: Record<string, string> = {
  // Imitates undici's SocketError (name, code) so that verify --cut fails like a real drop.
  'diagnose/verify/cut.ts: CutSocketError': 'undici',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('LifelineError', () => {
  it('is the base of every error class declared in src/ (but the undici imitation)', () => {
    const direct: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/class (\w+)(?:<[^>]*>)? extends (\w*Error)\b/g)) {
        if (match[2] === 'Error' || match[2] === 'TypeError')
          direct.push(`${relative(SRC, file)}: ${match[1]}`);
      }
    }
    expect(direct.sort()).toStrictEqual(
      ['errors.ts: LifelineError', ...Object.keys(NOT_LIFELINE)].sort(),
    );
  });

  const cases: Array<[LifelineError, string, string, string]> = [
    [new ProxyConfigError('bad port'), 'ProxyConfigError', 'config', 'bad port'],
    [new VerifyInputError('bad runs'), 'VerifyInputError', 'verify-input', 'bad runs'],
    [new SnapshotError('not json'), 'SnapshotError', 'snapshot', 'not json'],
    [new DoctorOptionError('bad url'), 'DoctorOptionError', 'doctor-option', 'bad url'],
    [
      new ScenarioError('a.json', 'message.model', 'required'),
      'ScenarioError',
      'invalid-scenario',
      'scenario a.json: message.model: required',
    ],
    [
      new SpliceProtocolError('two message_start'),
      'SpliceProtocolError',
      'protocol',
      'upstream stream is malformed: two message_start',
    ],
    [
      new ClientClosedError(),
      'ClientClosedError',
      'client-closed',
      'the client closed the connection',
    ],
    [
      new ShutdownError(500),
      'ShutdownError',
      'shutdown',
      'the proxy is shutting down and the stream did not finish within 500 ms',
    ],
    [new TraceReadError('truncated', 3, 'cut short'), 'TraceReadError', 'truncated', 'cut short'],
    [new AnalyzeInputError('empty', 'no bytes'), 'AnalyzeInputError', 'empty', 'no bytes'],
  ];

  it.each(cases)('%o has name, type and message', (error, name, type, message) => {
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.type).toBe(type);
    expect(error.message).toBe(message);
  });

  it('covers the errors thrown from inside: accumulator, event parsing, SSE decoder', async () => {
    const { MessageAccumulator, parseStreamEvent } = await import('../src/message/index.js');
    expect(() => new MessageAccumulator().toMessage()).toThrow(NoMessageError);
    try {
      new MessageAccumulator().toMessage();
    } catch (err) {
      expect(err).toBeInstanceOf(LifelineError);
      expect((err as LifelineError).type).toBe('no-message');
    }
    let parseError: unknown;
    try {
      parseStreamEvent({ event: 'message_start', data: 'not json', id: undefined });
    } catch (err) {
      parseError = err;
    }
    expect(parseError).toBeInstanceOf(InvalidEventJsonError);
    expect(parseError).toBeInstanceOf(LifelineError);
    expect((parseError as LifelineError).type).toBe('invalid-json');
    const decoder = new SseDecoder({ maxEventSize: 8 });
    let sseError: unknown;
    try {
      decoder.push(new TextEncoder().encode('data: far more than eight bytes\n\n'));
    } catch (err) {
      sseError = err;
    }
    expect(sseError).toBeInstanceOf(SseError);
    expect(sseError).toBeInstanceOf(LifelineError);
    expect((sseError as LifelineError).type).toBe('event-too-large');
  });
});
