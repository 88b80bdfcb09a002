/**
 * Linear work in the message size: a tool input is parsed once, at content_block_stop, however
 * many deltas it came in. We count JSON.parse calls rather than time, so the test cannot flake
 * on a slow machine.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { MessageAccumulator } from '../../src/message/index.js';
import type { RenderedEvent } from '../../src/mock/render.js';
import { renderMessage } from '../../src/mock/render.js';
import { message } from '../fixtures/streams.js';

const FIVE_MB = 5 * 1024 * 1024;

afterEach(() => {
  vi.restoreAllMocks();
});

test('a 5 MB tool input in 1-byte deltas completes with exactly one JSON.parse', () => {
  const json = JSON.stringify({ blob: 'x'.repeat(FIVE_MB - 11) });
  expect(json.length).toBe(FIVE_MB);
  const [start, ping] = renderMessage(message('msg_linear', []));
  const acc = new MessageAccumulator();
  acc.push(start!);
  acc.push(ping!);
  acc.push({
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'tool_use', id: 'toolu_big', name: 'write', input: {} },
  } as RenderedEvent);

  const parse = vi.spyOn(JSON, 'parse');
  const delta = {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'input_json_delta', partial_json: '' },
  };
  for (let i = 0; i < json.length; i++) {
    // A fresh event per delta, as a decoder would hand them over.
    acc.push({
      ...delta,
      delta: { type: 'input_json_delta', partial_json: json[i]! },
    } as RenderedEvent);
  }
  expect(acc.snapshot().open?.receivedBytes).toBe(FIVE_MB);
  acc.push({ type: 'content_block_stop', index: 0 } as RenderedEvent);
  expect(parse).toHaveBeenCalledTimes(1);
  parse.mockRestore();

  const block = acc.toMessage().content[0] as { input: { blob: string } };
  expect(block.input.blob.length).toBe(FIVE_MB - 11);
});

test('snapshots while a block streams join its fragments once and keep them joined', () => {
  const [start] = renderMessage(message('msg_join', []));
  const acc = new MessageAccumulator();
  acc.push(start!);
  acc.push({
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  } as RenderedEvent);
  const join = vi.spyOn(Array.prototype, 'join');
  for (let i = 0; i < 1000; i++) {
    acc.push({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'ab' },
    } as RenderedEvent);
  }
  expect(join).toHaveBeenCalledTimes(0);
  expect(acc.snapshot().open?.text.length).toBe(2000);
  expect(acc.snapshot().open?.text.length).toBe(2000);
  // The second snapshot found one fragment (the first join's result) and did not join again.
  expect(join).toHaveBeenCalledTimes(1);
});
