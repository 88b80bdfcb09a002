/**
 * The benchmark's Anthropic-shaped stream (bench/fixtures.ts) through the decoder, the framer
 * and eventsource-parser: all three must agree, so the benchmark compares equal work.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { anthropicStream, chunkRandomly, makeRng } from '../../bench/fixtures.js';
import { SseDecoder, SseFramer } from '../../src/sse/index.js';

const fixture = anthropicStream({
  seed: 42,
  textDeltas: 2000,
  jsonDeltas: 2,
  jsonDeltaBytes: 50_000,
  nonAsciiRate: 0.05,
});
const chunks = chunkRandomly(fixture.bytes, makeRng(42));

function textOf(datas: readonly string[]): string {
  return datas
    .map((d) => JSON.parse(d) as { delta?: { type?: string; text?: string } })
    .filter((p) => p.delta?.type === 'text_delta')
    .map((p) => p.delta?.text ?? '')
    .join('');
}

describe('Anthropic-shaped stream', () => {
  it('decodes every event and the exact text', () => {
    const events = new SseDecoder().decodeAll(chunks);
    expect([events.length, textOf(events.map((e) => e.data))]).toStrictEqual([
      fixture.eventCount,
      fixture.text,
    ]);
  });

  it('matches eventsource-parser event for event', () => {
    const theirs: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => theirs.push(e) });
    const text = new TextDecoder();
    for (const c of chunks) parser.feed(text.decode(c, { stream: true }));
    const ours = new SseDecoder().decodeAll(chunks);
    expect(ours.map((e) => [e.event, e.data])).toStrictEqual(theirs.map((e) => [e.event, e.data]));
  });

  it('frames every event with its name, and the frames rebuild the stream', () => {
    const framer = new SseFramer();
    const frames = chunks.flatMap((c) => framer.push(c));
    const rebuilt = Buffer.concat([...frames.map((f) => f.raw), framer.end().rest]);
    expect([frames.length, rebuilt.equals(Buffer.from(fixture.bytes))]).toStrictEqual([
      fixture.eventCount,
      true,
    ]);
    expect(textOf(frames.map((f) => f.dataText()))).toBe(fixture.text);
  });
});
