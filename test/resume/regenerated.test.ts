/**
 * Recognising a block a continuation regenerates: `sameBlock` (same kind, name and input, ids
 * aside) and `assemble` (a held block's events into the block, tool input parsed).
 */
import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../src/protocol/index.js';
import { assemble, type HeldEvent, sameBlock } from '../../src/resume/regenerated.js';

const block = (value: Record<string, unknown>) => value as unknown as ContentBlock;

describe('sameBlock', () => {
  it('a tool use with the same name and input repeats one sent, whatever its id', () => {
    const sent = block({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
    const again = block({
      type: 'tool_use',
      id: 'toolu_2',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
    expect(sameBlock(sent, again)).toBe(true);
  });

  it('a tool use with another name or another input is a different block', () => {
    const sent = block({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
    expect(
      sameBlock(
        sent,
        block({ type: 'tool_use', id: 'toolu_2', name: 'get_time', input: { city: 'Paris' } }),
      ),
    ).toBe(false);
    expect(
      sameBlock(
        sent,
        block({ type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } }),
      ),
    ).toBe(false);
  });

  it('a tool use is compared by name and input only: other fields do not matter', () => {
    const sent = block({
      type: 'server_tool_use',
      id: 'srvtoolu_1',
      name: 'web_search',
      input: { q: 'x' },
    });
    const again = block({
      type: 'server_tool_use',
      id: 'srvtoolu_2',
      name: 'web_search',
      input: { q: 'x' },
      caller: { type: 'direct' },
    });
    expect(sameBlock(sent, again)).toBe(true);
  });

  it('blocks of different types are different, even with the same name and input', () => {
    const client = block({ type: 'tool_use', id: 'a', name: 'f', input: {} });
    const server = block({ type: 'server_tool_use', id: 'a', name: 'f', input: {} });
    expect(sameBlock(client, server)).toBe(false);
    expect(
      sameBlock(block({ type: 'text', text: 'x' }), block({ type: 'thinking', text: 'x' })),
    ).toBe(false);
  });

  it('a block with an input never repeats one without, even when their other fields agree', () => {
    const withInput = block({ type: 'future_tool', id: 'a', name: 'f', input: {} });
    const without = block({ type: 'future_tool', id: 'b', name: 'f' });
    expect(sameBlock(withInput, without)).toBe(false);
    expect(sameBlock(without, withInput)).toBe(false);
  });

  it('a tool result repeats one sent when all but its tool_use_id and id agree', () => {
    const sent = block({
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [{ type: 'web_search_result', url: 'https://example.com', title: 'Example' }],
    });
    const again = block({
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_2',
      id: 'x',
      content: [{ type: 'web_search_result', url: 'https://example.com', title: 'Example' }],
    });
    expect(sameBlock(sent, again)).toBe(true);
    const other = block({
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [{ type: 'web_search_result', url: 'https://example.org', title: 'Example' }],
    });
    expect(sameBlock(sent, other)).toBe(false);
  });

  it('text blocks are the same when their text is', () => {
    expect(sameBlock(block({ type: 'text', text: 'a' }), block({ type: 'text', text: 'a' }))).toBe(
      true,
    );
    expect(sameBlock(block({ type: 'text', text: 'a' }), block({ type: 'text', text: 'b' }))).toBe(
      false,
    );
  });
});

describe('assemble', () => {
  const start = (content_block: Record<string, unknown>): HeldEvent => ({
    type: 'content_block_start',
    data: { type: 'content_block_start', index: 3, content_block },
  });
  const delta = (delta: Record<string, unknown>): HeldEvent => ({
    type: 'content_block_delta',
    data: { type: 'content_block_delta', index: 3, delta },
  });
  const stop: HeldEvent = {
    type: 'content_block_stop',
    data: { type: 'content_block_stop', index: 3 },
  };

  it('builds a tool use from its events, the input JSON parsed', () => {
    const events = [
      start({ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }),
      delta({ type: 'input_json_delta', partial_json: '{"city":' }),
      delta({ type: 'input_json_delta', partial_json: '"Paris"}' }),
      stop,
    ];
    expect(assemble(events)).toStrictEqual({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'f',
      input: { city: 'Paris' },
    });
  });

  it('takes the event type from the held event, not from its data', () => {
    const events: HeldEvent[] = [
      {
        type: 'content_block_start',
        data: { index: 0, content_block: { type: 'text', text: '' } },
      },
      {
        type: 'content_block_delta',
        data: { index: 0, delta: { type: 'text_delta', text: 'hi' } },
      },
      { type: 'content_block_stop', data: { index: 0 } },
    ];
    expect(assemble(events)).toStrictEqual({ type: 'text', text: 'hi' });
  });

  it('gives nothing for a block whose stop has not arrived', () => {
    expect(
      assemble([start({ type: 'text', text: '' }), delta({ type: 'text_delta', text: 'a' })]),
    ).toBeUndefined();
    expect(assemble([])).toBeUndefined();
  });
});
