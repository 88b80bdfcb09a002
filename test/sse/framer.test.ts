/** SseFramer: events cut on bytes, one behaviour per test. */
import { describe, expect, it } from 'vitest';
import { SseError, type SseFrame, SseFramer } from '../../src/sse/index.js';
import { bytes, ev } from './helpers.js';

const text = new TextDecoder('utf-8', { ignoreBOM: true });

function frame(parts: ReadonlyArray<string | readonly number[]>): {
  frames: SseFrame[];
  rest: string;
} {
  const framer = new SseFramer();
  const frames = parts.flatMap((p) => framer.push(bytes(p)));
  return { frames, rest: text.decode(framer.end().rest) };
}

const raws = (frames: readonly SseFrame[]): string[] => frames.map((f) => text.decode(f.raw));

describe('frame boundaries', () => {
  it('cuts an LF stream after each blank line', () => {
    const { frames } = frame(['event: a\ndata: 1\n\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['event: a\ndata: 1\n\n', 'data: 2\n\n']);
  });

  it('cuts a CRLF stream after each blank line', () => {
    const { frames } = frame(['data: 1\r\n\r\ndata: 2\r\n\r\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\n\r\n', 'data: 2\r\n\r\n']);
  });

  it('cuts a CR stream after each blank line', () => {
    const { frames } = frame(['data: 1\r\rdata: 2\r\r']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\r', 'data: 2\r\r']);
  });

  it('finds a blank line split across chunks', () => {
    const { frames } = frame(['data: 1\n', '\n', 'data: 2\r\n', '\r\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\n\n', 'data: 2\r\n\r\n']);
  });

  it('does not take the LF half of a split CRLF for a blank line', () => {
    const { frames } = frame(['data: 1\r', '\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\ndata: 2\n\n']);
  });

  it('emits a frame at a CR ending a chunk and starts the next frame with the LF half', () => {
    const framer = new SseFramer();
    const first = framer.push(bytes('data: 1\r\r'));
    const second = framer.push(bytes('\ndata: 2\n\n'));
    expect([raws(first), raws(second)]).toStrictEqual([['data: 1\r\r'], ['\ndata: 2\n\n']]);
  });

  it('keeps the halves of a CRLF together across an empty chunk between them', () => {
    const { frames } = frame(['data: 1\r', '', '\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\ndata: 2\n\n']);
  });

  it('emits each extra blank line after an event as a frame of its own', () => {
    const { frames } = frame(['data: 1\n\n\n\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\n\n', '\n', '\n', 'data: 2\n\n']);
  });

  it('ends a frame at a blank line whatever the line end of the line before it', () => {
    const { frames } = frame(['data: 1\r\n\ndata: 2\n\r\ndata: 3\r\r\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\n\n', 'data: 2\n\r\n', 'data: 3\r\r\n']);
  });

  it('emits a bare blank line as its own frame', () => {
    const { frames } = frame(['\ndata: 1\n\n']);
    expect(raws(frames)).toStrictEqual(['\n', 'data: 1\n\n']);
  });

  it('returns the incomplete trailing event from end()', () => {
    expect(frame(['data: 1\n\ndata: 2\nda']).rest).toBe('data: 2\nda');
  });

  it('returns an empty rest when the stream ends on a frame boundary', () => {
    expect(frame(['data: 1\n\n']).rest).toBe('');
  });

  it('shares memory with the chunk when a frame lies within one chunk', () => {
    const chunk = bytes('data: 1\n\n');
    const [only] = new SseFramer().push(chunk);
    expect(only!.raw.buffer).toBe(chunk.buffer);
  });

  it('keeps the pieces of a frame spanning chunks in chunks, with their total byteLength', () => {
    const { frames } = frame(['data: 1', '23', '4\n', '\n']);
    const only = frames[0]!;
    expect([only.chunks.map((c) => text.decode(c)), only.byteLength]).toStrictEqual([
      ['data: 1', '23', '4\n', '\n'],
      12,
    ]);
  });

  it('gives a frame within one chunk as a single piece', () => {
    expect(frame(['data: 1\n\n']).frames[0]!.chunks).toHaveLength(1);
  });

  it('gives a frame within one chunk as a single piece after a chunk that ended a frame', () => {
    const { frames } = frame(['data: 1\n\n', 'data: 2\n\n']);
    expect(frames.map((f) => f.chunks.length)).toStrictEqual([1, 1]);
  });

  it('cuts at CR line ends in a chunk that also has LF line ends', () => {
    expect(raws(frame(['x\r\rdata: 1\n\n']).frames)).toStrictEqual(['x\r\r', 'data: 1\n\n']);
  });

  it('joins a frame spanning chunks into one array', () => {
    const { frames } = frame(['data: 1', '23', '4\n', '\n']);
    expect(raws(frames)).toStrictEqual(['data: 1234\n\n']);
  });
});

describe('end() starts a new stream', () => {
  it('takes an LF opening the next stream for a blank line, not the end of a CRLF', () => {
    const framer = new SseFramer();
    framer.push(bytes('data: 1\r'));
    expect(text.decode(framer.end().rest)).toBe('data: 1\r');
    expect(raws(framer.push(bytes('\ndata: 2\n\n')))).toStrictEqual(['\n', 'data: 2\n\n']);
  });

  it('forgets the fields and the unfinished line of the stream before', () => {
    // 16 bytes held at end(); the next stream's event is 14.
    const framer = new SseFramer({ maxEventSize: 16 });
    framer.push(bytes('event: a\ndata: 12'));
    framer.end();
    const [only] = framer.push(bytes('data: 12345678\n\n'));
    expect([only?.event, only?.dataText(), only?.isComment]).toStrictEqual([
      undefined,
      '12345678',
      false,
    ]);
  });

  it('strips a byte-order mark opening the next stream', () => {
    const framer = new SseFramer();
    framer.push(bytes('data: 1\n\n'));
    framer.end();
    const [only] = framer.push(bytes('\uFEFFevent: a\ndata: x\n\n'));
    expect([only?.event, only?.toEvent()]).toStrictEqual(['a', ev('x', { event: 'a' })]);
  });

  it('strips a byte-order mark split across chunks opening the next stream', () => {
    const framer = new SseFramer();
    framer.push(bytes('data: 1\n\n'));
    framer.end();
    const frames = [
      [0xef, 0xbb],
      [0xbf, ...bytes('event: a\n\n')],
    ].flatMap((p) => framer.push(bytes(p)));
    expect(frames.map((f) => f.event)).toStrictEqual(['a']);
  });
});

describe('frame fields', () => {
  it('reads the event name', () => {
    expect(frame(['event: content_block_delta\ndata: {}\n\n']).frames[0]!.event).toBe(
      'content_block_delta',
    );
  });

  it('reads an event name split across chunks', () => {
    expect(frame(['ev', 'ent: mess', 'age_stop\ndata: {}\n\n']).frames[0]!.event).toBe(
      'message_stop',
    );
  });

  it('reads a non-ASCII event name', () => {
    expect(frame(['event: événement\ndata: x\n\n']).frames[0]!.event).toBe('événement');
  });

  it('uses the last event line', () => {
    expect(frame(['event: a\nevent: b\ndata: x\n\n']).frames[0]!.event).toBe('b');
  });

  it('leaves the event name unset for an empty or bare event line', () => {
    const { frames } = frame(['event:\ndata: x\n\nevent\ndata: y\n\n']);
    expect(frames.map((f) => f.event)).toStrictEqual([undefined, undefined]);
  });

  it('clears an earlier event name at a bare or empty event line', () => {
    const { frames } = frame(['event: a\nevent\ndata: x\n\nevent: b\nevent:\ndata: y\n\n']);
    expect(frames.map((f) => f.event)).toStrictEqual([undefined, undefined]);
  });

  it('does not take an event field with any letter in upper case for the event name', () => {
    const names = ['Event', 'eVent', 'evEnt', 'eveNt', 'evenT'];
    const { frames } = frame(names.map((n) => `event: a\n${n}: b\ndata: x\n\n`));
    expect(frames.map((f) => f.event)).toStrictEqual(names.map(() => 'a'));
  });

  it('does not take an "events:" field for the event name', () => {
    expect(frame(['events: a\ndata: x\n\n']).frames[0]!.event).toBeUndefined();
  });

  it('marks a frame of only comment lines as a comment', () => {
    expect(frame([': lifeline resuming\n: still\n\n']).frames[0]!.isComment).toBe(true);
  });

  it('does not mark a frame with a field line as a comment', () => {
    expect(frame([': note\ndata: x\n\n']).frames[0]!.isComment).toBe(false);
  });

  it('decodes the data lazily per WHATWG, lines joined with LF', () => {
    expect(frame(['data: a\r\ndata:b\r\ndata\r\n\r\n']).frames[0]!.dataText()).toBe('a\nb\n');
  });

  it('gives empty data for a frame without data lines', () => {
    expect(frame([': only a comment\n\n']).frames[0]!.dataText()).toBe('');
  });

  it('decodes the whole event with toEvent()', () => {
    expect(frame(['event: e\nid: 9\nretry: 5\ndata: x\n\n']).frames[0]!.toEvent()).toStrictEqual(
      ev('x', { event: 'e', id: '9', retry: 5 }),
    );
  });

  it('decodes a frame larger than the decoder default limit when the framer allows it', () => {
    const size = 16 * 1024 * 1024 + 1;
    const input = new Uint8Array(size + 8).fill(0x61);
    input.set(bytes('data: '), 0);
    input.set(bytes('\n\n'), size + 6);
    const [only] = new SseFramer({ maxEventSize: 32 * 1024 * 1024 }).push(input);
    expect(only?.toEvent()?.data.length).toBe(size);
  });

  it('keeps the BOM in the first frame bytes but not in its fields', () => {
    const { frames } = frame(['\uFEFFevent: a\ndata: x\n\n']);
    const only = frames[0]!;
    expect([only.raw[0], only.event, only.dataText()]).toStrictEqual([0xef, 'a', 'x']);
    expect(frame(['\uFEFFdata: x\n\n']).frames[0]!.toEvent()).toStrictEqual(ev('x'));
  });

  it('decodes a later frame opening with U+FEFF as the whole stream does: an unknown field', () => {
    const { frames } = frame(['data: 1\n\n\uFEFFdata: x\n\n']);
    expect(frames.map((f) => f.toEvent())).toStrictEqual([ev('1'), undefined]);
  });

  it('marks a comment frame after an event as a comment', () => {
    const { frames } = frame(['data: 1\n\n: ping\n\n']);
    expect(frames.map((f) => f.isComment)).toStrictEqual([false, true]);
  });

  it('reads the line after a chunk-ending CR from its first byte', () => {
    const { frames } = frame(['data: 1\r', 'event: x\n\n']);
    expect(frames.map((f) => [f.event, f.dataText()])).toStrictEqual([['x', '1']]);
  });

  it('keeps a BOM opening a later frame as part of its first field name', () => {
    const { frames } = frame(['data: 1\n\n\uFEFFevent: a\ndata: x\n\n']);
    expect([frames[1]!.event, frames[1]!.dataText()]).toStrictEqual([undefined, 'x']);
  });
});

describe('frame size limit', () => {
  it('throws event-too-large like the decoder', () => {
    const framer = new SseFramer({ maxEventSize: 10 });
    expect(() => framer.push(bytes('data: 0123456789\n'))).toThrow(
      expect.objectContaining({ type: 'event-too-large', limit: 10, size: 16 }),
    );
  });

  it('counts a line still waiting for its end', () => {
    const framer = new SseFramer({ maxEventSize: 8 });
    framer.push(bytes('data: 12'));
    expect(() => framer.push(bytes('3'))).toThrow(SseError);
  });

  it('hands over the frames completed before the failure in the same push', () => {
    const framer = new SseFramer({ maxEventSize: 10 });
    let caught: unknown;
    try {
      framer.push(bytes('data: a\n\ndata: 0123456789\n\n'));
    } catch (error) {
      caught = error;
    }
    expect(raws((caught as SseError<SseFrame>).completed)).toStrictEqual(['data: a\n\n']);
  });

  it('refuses further input after the failure, with a stopped error', () => {
    const framer = new SseFramer({ maxEventSize: 4 });
    expect(() => framer.push(bytes('data: 12345\n'))).toThrow(SseError);
    expect(() => framer.end()).toThrow(expect.objectContaining({ type: 'stopped' }));
  });

  it('refuses push() and end() after the failure, naming the SseFramer', () => {
    const framer = new SseFramer({ maxEventSize: 4 });
    expect(() => framer.push(bytes('data: 12345\n'))).toThrow(/^SseFramer: one server-sent/);
    for (const use of [() => framer.push(bytes('\n')), () => framer.end()]) {
      expect(use).toThrow(/^SseFramer: this instance stopped .* Create a new SseFramer/);
    }
  });
});

describe('frame fields of lines split across chunks', () => {
  /** The event name of the first frame, for the stream cut at every offset. */
  function namesAtEveryCut(stream: string): Array<string | undefined> {
    const input = bytes(stream);
    const names: Array<string | undefined> = [];
    for (let at = 1; at < input.length; at++) {
      const framer = new SseFramer();
      const frames = [...framer.push(input.subarray(0, at)), ...framer.push(input.subarray(at))];
      names.push(frames[0]?.event);
    }
    return names;
  }

  it('reads the event name wherever the line is cut, with or without the space', () => {
    for (const stream of ['event: ping\ndata: x\n\n', 'event:ping\ndata: x\n\n']) {
      expect(new Set(namesAtEveryCut(stream))).toStrictEqual(new Set(['ping']));
    }
  });

  it('keeps a second space as part of a split event name', () => {
    expect(new Set(namesAtEveryCut('event:  ping\ndata: x\n\n'))).toStrictEqual(new Set([' ping']));
  });

  it('clears an earlier event name at a split bare or empty event line', () => {
    for (const stream of ['event: a\nevent\n\n', 'event: a\nevent:\n\n']) {
      expect(new Set(namesAtEveryCut(stream))).toStrictEqual(new Set([undefined]));
    }
  });

  it('reads the event name of a line that opens a chunk after earlier lines of its frame', () => {
    const { frames } = frame(['data: 1\n', 'event: x\n\n']);
    expect(frames.map((f) => [f.event, f.dataText()])).toStrictEqual([['x', '1']]);
  });

  it('leaves the name unset for a split bare or empty event line', () => {
    expect(new Set(namesAtEveryCut('data: x\nevent\n\n'))).toStrictEqual(new Set([undefined]));
    expect(new Set(namesAtEveryCut('data: x\nevent:\n\n'))).toStrictEqual(new Set([undefined]));
    expect(new Set(namesAtEveryCut('data: x\nevent: \n\n'))).toStrictEqual(new Set([undefined]));
  });

  it('does not take a split "eventx" or "event-name:" line for the event name', () => {
    expect(new Set(namesAtEveryCut('event: a\neventx: b\n\n'))).toStrictEqual(new Set(['a']));
    expect(new Set(namesAtEveryCut('event: a\nevenT: b\n\n'))).toStrictEqual(new Set(['a']));
    expect(new Set(namesAtEveryCut('event: a\nevent-x\n\n'))).toStrictEqual(new Set(['a']));
  });

  it('strips the BOM of a first line split across chunks, and only of the first line', () => {
    expect(new Set(namesAtEveryCut('\uFEFFevent: a\ndata: x\n\n'))).toStrictEqual(new Set(['a']));
    const later = namesAtEveryCut('data: 1\n\uFEFFevent: a\ndata: x\n\n');
    expect(new Set(later)).toStrictEqual(new Set([undefined]));
  });

  it('treats a split comment line as a comment and a split empty first line as blank', () => {
    const framer = new SseFramer();
    const frames = [...framer.push(bytes(': long com')), ...framer.push(bytes('ment\n\n'))];
    expect(frames.map((f) => f.isComment)).toStrictEqual([true]);
    const bom = new SseFramer();
    const split = [...bom.push(bytes([0xef, 0xbb])), ...bom.push(bytes([0xbf, 0x0a]))];
    expect(split.map((f) => [f.byteLength, f.isComment])).toStrictEqual([[4, true]]);
  });

  it('reads a split event line ended by a CR, with or without an LF later in the chunk', () => {
    for (const rest of ['b\r\rdata: 3\r\r', 'b\r\rdata: 3\n\n']) {
      const { frames } = frame(['event: a', rest]);
      expect(frames.map((f) => f.event)).toStrictEqual(['ab', undefined]);
    }
  });

  it('keeps a frame a comment when its split comment line ends at the second byte of a chunk', () => {
    for (const nl of ['\n', '\r', '\r\n']) {
      const { frames } = frame([': a', `b${nl}${nl}`]);
      expect(frames.map((f) => f.isComment)).toStrictEqual([true]);
    }
  });

  it('leaves the event name alone at a split line shorter than "event"', () => {
    expect(new Set(namesAtEveryCut('event: a\nid\n\n'))).toStrictEqual(new Set(['a']));
  });

  it('keeps a character near the BOM opening a split first line (U+EEFF, U+FEBF, U+FEFE)', () => {
    for (const c of ['\uEEFF', '\uFEBF', '\uFEFE']) {
      expect(new Set(namesAtEveryCut(`${c}event: a\ndata: x\n\n`))).toStrictEqual(
        new Set([undefined]),
      );
    }
  });

  it('reads a split event name whose head spans three chunks', () => {
    const framer = new SseFramer();
    const frames = ['ev', 'en', 't: message_', 'delta\n', '\n'].flatMap((p) =>
      framer.push(bytes(p)),
    );
    expect(frames.map((f) => f.event)).toStrictEqual(['message_delta']);
  });

  it('reads a split event name that starts after other lines of its chunk', () => {
    const framer = new SseFramer();
    const frames = ['data: 1\nevent: lo', 'ng_name\n\n'].flatMap((p) => framer.push(bytes(p)));
    expect(frames.map((f) => [f.event, f.dataText()])).toStrictEqual([['long_name', '1']]);
  });
});

describe('event names seen many times', () => {
  it('gives each frame its own name when more names pass than are remembered', () => {
    const names = Array.from({ length: 40 }, (_, i) => `name_${i}`);
    const stream = [...names, ...names].map((n) => `event: ${n}\ndata: x\n\n`).join('');
    const { frames } = frame([stream]);
    expect(frames.map((f) => f.event)).toStrictEqual([...names, ...names]);
  });

  it('tells apart names of the same length and names that are prefixes of others', () => {
    const { frames } = frame(['event: ab\n\nevent: ac\n\nevent: a\n\nevent: abc\n\nevent: ab\n\n']);
    expect(frames.map((f) => f.event)).toStrictEqual(['ab', 'ac', 'a', 'abc', 'ab']);
  });
});

describe('frame sizes', () => {
  it('counts the line in progress and the event so far against the limit', () => {
    const framer = new SseFramer({ maxEventSize: 10 });
    expect(framer.push(bytes('data: 1\n'))).toStrictEqual([]);
    expect(framer.bufferedBytes).toBe(8);
    expect(() => framer.push(bytes('data'))).toThrow(
      expect.objectContaining({ type: 'event-too-large', limit: 10, size: 11 }),
    );
  });

  it('accepts an event of exactly the limit split across chunks', () => {
    // "data: 1" and "data": 11 bytes.
    const framer = new SseFramer({ maxEventSize: 11 });
    const frames = ['data: 1\nda', 'ta\n\n'].flatMap((p) => framer.push(bytes(p)));
    expect(frames.map((f) => f.dataText())).toStrictEqual(['1\n']);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('accepts a line still waiting for its end at exactly the limit', () => {
    const framer = new SseFramer({ maxEventSize: 12 });
    framer.push(bytes('data: 1\n'));
    expect(framer.push(bytes('data:'))).toStrictEqual([]);
    expect(framer.push(bytes('\n\n')).map((f) => f.dataText())).toStrictEqual(['1\n']);
  });

  it('counts a split line once it ends, with the lines before it', () => {
    const framer = new SseFramer({ maxEventSize: 12 });
    framer.push(bytes('data: 12\n'));
    framer.push(bytes('data'));
    expect(() => framer.push(bytes('x\n'))).toThrow(expect.objectContaining({ size: 13 }));
  });

  it('resets the count for each frame and after end()', () => {
    const framer = new SseFramer({ maxEventSize: 7 });
    expect(framer.push(bytes('data: 1\n\ndata: 2\n\n'))).toHaveLength(2);
    framer.push(bytes('data: 3'));
    expect(new TextDecoder().decode(framer.end().rest)).toBe('data: 3');
    expect(framer.push(bytes('data: 4\n\n'))).toHaveLength(1);
  });

  it('defaults to the decoder limit, 16 MiB', () => {
    expect(new SseFramer().maxEventSize).toBe(16 * 1024 * 1024);
  });
});

describe('state carried between chunks', () => {
  it('forgets a chunk-ending CR once the next chunk opens with another byte', () => {
    const { frames } = frame(['data: 1\r', 'x\n', '\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\rx\n\n', 'data: 2\n\n']);
  });

  it('does not mark a frame whose only field line was split across chunks as a comment', () => {
    const { frames } = frame(['data: 1', '\n\n']);
    expect(frames.map((f) => [f.isComment, f.dataText()])).toStrictEqual([[false, '1']]);
  });
});
