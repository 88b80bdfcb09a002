/**
 * One block while it streams, as a snapshot shows it (`open`) and as it ends (`blocks`): which
 * delta applies to which block, what is counted when one does not, and how the start payload's
 * own text, citations, signature and compaction value combine with the deltas.
 */
import { describe, expect, test } from 'vitest';
import { MessageAccumulator } from '../../src/message/index.js';
import type { StreamEvent } from '../../src/protocol/index.js';

type Json = Record<string, unknown>;

/** An accumulator with one block started at index 0 from `start`, then `deltas` applied. */
function block(start: Json, deltas: Json[]): MessageAccumulator {
  const acc = new MessageAccumulator();
  const push = (e: Json) => acc.push(e as unknown as StreamEvent);
  push({ type: 'message_start', message: { id: 'm', content: [], usage: {} } });
  push({ type: 'content_block_start', index: 0, content_block: start });
  for (const delta of deltas) push({ type: 'content_block_delta', index: 0, delta });
  return acc;
}

function finished(acc: MessageAccumulator): Json {
  acc.push({ type: 'content_block_stop', index: 0 } as unknown as StreamEvent);
  return acc.snapshot().blocks[0] as unknown as Json;
}

describe('the open block', () => {
  test('shows the start payload text followed by the deltas, and counts them', () => {
    const acc = block({ type: 'text', text: 'Hel' }, [
      { type: 'text_delta', text: 'lo ' },
      { type: 'text_delta', text: 'wörld' },
    ]);
    expect(acc.snapshot().open).toMatchObject({
      index: 0,
      type: 'text',
      category: 'text',
      text: 'Hello wörld',
      receivedBytes: 9,
      deltaCount: 2,
      lastDeltaType: 'text_delta',
      signature: undefined,
      citations: undefined,
      unknownDeltas: [],
    });
  });

  test('shows thinking after its start text, and a non-text block as empty text', () => {
    const thinking = block({ type: 'thinking', thinking: 'a', signature: '' }, [
      { type: 'thinking_delta', thinking: 'b' },
    ]);
    expect(thinking.snapshot().open?.text).toBe('ab');
    const other = block({ type: 'future', text: 'not a text block' }, []);
    expect(other.snapshot().open?.text).toBe('');
    const startOnly = block({ type: 'text', text: 7 }, []);
    expect(startOnly.snapshot().open?.text).toBe('');
    const thinkingOnly = block({ type: 'thinking', signature: '' }, []);
    expect(thinkingOnly.snapshot().open?.text).toBe('');
    const future = block({ type: 'future', text: 'a', thinking: 'b' }, []);
    expect(future.snapshot().open?.text).toBe('');
  });

  test('counts the bytes of a delta that does not fit the block, without applying it', () => {
    const acc = block({ type: 'thinking', thinking: '', signature: '' }, [
      { type: 'text_delta', text: 'éé' },
    ]);
    expect(acc.snapshot().open).toMatchObject({ text: '', receivedBytes: 4, deltaCount: 1 });
    expect(finished(acc)).toStrictEqual({ type: 'thinking', thinking: '', signature: '' });
  });

  test('does not count a delta without its payload, and reports it malformed', () => {
    const acc = block({ type: 'text', text: '' }, [{ type: 'text_delta', text: 5 }]);
    expect(acc.snapshot().open).toMatchObject({ receivedBytes: 0, deltaCount: 1 });
    expect(acc.snapshot().anomalies.map((a) => a.kind)).toStrictEqual(['malformed-delta']);
  });

  test('keeps unknown deltas as they came, as a copy per snapshot', () => {
    const future = { type: 'future_delta', x: 1 };
    const acc = block({ type: 'text', text: '' }, [future]);
    const first = acc.snapshot().open!;
    expect(first.unknownDeltas).toStrictEqual([future]);
    expect(first.lastDeltaType).toBe('future_delta');
    first.unknownDeltas.push(future);
    expect(acc.snapshot().open?.unknownDeltas).toHaveLength(1);
  });

  test('lists citations in order, as a copy per snapshot', () => {
    const acc = block({ type: 'text', text: '' }, [
      { type: 'citations_delta', citation: { n: 1 } },
      { type: 'citations_delta', citation: { n: 2 } },
    ]);
    const open = acc.snapshot().open!;
    expect(open.citations).toStrictEqual([{ n: 1 }, { n: 2 }]);
    open.citations?.push({ n: 3 });
    expect(acc.snapshot().open?.citations).toHaveLength(2);
  });

  test('takes a signature only on a thinking block, and only a string one', () => {
    const thinking = block({ type: 'thinking', thinking: '', signature: '' }, [
      { type: 'signature_delta', signature: 7 },
      { type: 'signature_delta', signature: 'sig' },
    ]);
    expect(thinking.snapshot().open?.signature).toBe('sig');
    expect(thinking.snapshot().anomalies.map((a) => a.kind)).toStrictEqual(['malformed-delta']);
    const text = block({ type: 'text', text: '' }, [{ type: 'signature_delta', signature: 's' }]);
    expect(text.snapshot().open?.signature).toBeUndefined();
    expect(text.snapshot().anomalies.map((a) => a.kind)).toStrictEqual(['delta-type-mismatch']);
  });

  test('refuses citations and compaction deltas on other block types', () => {
    const acc = block({ type: 'thinking', thinking: '', signature: '' }, [
      { type: 'citations_delta', citation: {} },
      { type: 'compaction_delta', content: 'x' },
    ]);
    expect(acc.snapshot().anomalies.map((a) => a.kind)).toStrictEqual([
      'delta-type-mismatch',
      'delta-type-mismatch',
    ]);
    expect(finished(acc)).toStrictEqual({ type: 'thinking', thinking: '', signature: '' });
  });
});

describe('the finished block', () => {
  test('a text block without deltas keeps its start text; with deltas, start text + deltas', () => {
    expect(finished(block({ type: 'text', text: 'as sent' }, []))).toStrictEqual({
      type: 'text',
      text: 'as sent',
    });
    expect(
      finished(block({ type: 'text', text: 'a' }, [{ type: 'text_delta', text: 'b' }])),
    ).toStrictEqual({ type: 'text', text: 'ab' });
  });

  test('citations from deltas follow those of the start payload', () => {
    const acc = block({ type: 'text', text: '', citations: [{ n: 0 }] }, [
      { type: 'citations_delta', citation: { n: 1 } },
    ]);
    expect(finished(acc).citations).toStrictEqual([{ n: 0 }, { n: 1 }]);
    const fromNull = block({ type: 'text', text: '', citations: null }, [
      { type: 'citations_delta', citation: { n: 1 } },
    ]);
    expect(finished(fromNull).citations).toStrictEqual([{ n: 1 }]);
    expect(finished(block({ type: 'text', text: '', citations: null }, [])).citations).toBeNull();
  });

  test('a text or thinking block without deltas is its start payload, even without its text', () => {
    expect(finished(block({ type: 'text', citations: null }, []))).toStrictEqual({
      type: 'text',
      citations: null,
    });
    expect(finished(block({ type: 'thinking', signature: 's' }, []))).toStrictEqual({
      type: 'thinking',
      signature: 's',
    });
  });

  test('thinking keeps its start signature until a signature_delta replaces it', () => {
    expect(
      finished(block({ type: 'thinking', thinking: 't', signature: 'old' }, [])),
    ).toStrictEqual({ type: 'thinking', thinking: 't', signature: 'old' });
    const signed = block({ type: 'thinking', thinking: '', signature: 'old' }, [
      { type: 'thinking_delta', thinking: 'x' },
      { type: 'signature_delta', signature: 'new' },
    ]);
    expect(finished(signed)).toStrictEqual({ type: 'thinking', thinking: 'x', signature: 'new' });
  });

  test('a compaction block takes the last compaction_delta, encrypted content only if sent', () => {
    const start = { type: 'compaction', content: null, encrypted_content: 'start' };
    const acc = block(start, [
      { type: 'compaction_delta', content: 'first', encrypted_content: 'e1' },
      { type: 'compaction_delta', content: 'last' },
    ]);
    expect(finished(acc)).toStrictEqual({
      type: 'compaction',
      content: 'last',
      encrypted_content: 'start',
    });
    expect(finished(block(start, []))).toStrictEqual(start);
  });

  test('a tool input is parsed once at the end from all its fragments', () => {
    const acc = block({ type: 'tool_use', id: 't', name: 'f', input: {} }, [
      { type: 'input_json_delta', partial_json: '{"a":' },
      { type: 'input_json_delta', partial_json: '[1,2]}' },
    ]);
    expect(acc.snapshot().open?.text).toBe('{"a":[1,2]}');
    expect(finished(acc).input).toStrictEqual({ a: [1, 2] });
    expect(acc.snapshot().toolInputIssues).toStrictEqual([]);
  });

  test('a repaired tool input is reported with its block index and keeps the raw text unlisted', () => {
    const acc = block({ type: 'tool_use', id: 't', name: 'f', input: {} }, [
      { type: 'input_json_delta', partial_json: '{"a":[1,' },
    ]);
    const done = finished(acc);
    expect(done.input).toStrictEqual({ a: [1] });
    expect(Object.keys(done)).toStrictEqual(['type', 'id', 'name', 'input']);
    expect((done as { __json_buf?: string }).__json_buf).toBe('{"a":[1,');
    expect(acc.snapshot().toolInputIssues).toMatchObject([{ index: 0, kind: 'repaired' }]);
  });

  test('a tool block without input deltas keeps its start input', () => {
    expect(
      finished(block({ type: 'tool_use', id: 't', name: 'f', input: { k: 1 } }, [])),
    ).toStrictEqual({ type: 'tool_use', id: 't', name: 'f', input: { k: 1 } });
  });
});
