import { describe, expect, it } from 'vitest';
import { cutFacts, cutPhrase } from '../../src/diagnose/analyze/cut.js';
import type { OpenBlockFacts } from '../../src/diagnose/index.js';
import { type CutEvent, describeCutEvent } from '../../src/protocol/index.js';

const enc = (text: string) => new TextEncoder().encode(text);
const cutOf = (text: string): CutEvent => describeCutEvent(enc(text))!;

const toolBlock = (deltaType: string | undefined): OpenBlockFacts => ({
  index: 38,
  blockType: 'server_tool_use',
  toolName: 'text_editor_code_execution',
  deltaType,
  receivedBytes: deltaType === undefined ? 0 : 20,
  deltaCount: deltaType === undefined ? 0 : 1,
});

const HEAD = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":38,';

describe('cutFacts and cutPhrase', () => {
  it('names the payload and the bytes into it when they are visible', () => {
    const open = toolBlock(undefined);
    const facts = cutFacts(
      cutOf(
        `${HEAD}"delta":{"type":"input_json_delta","partial_json":"{\\"command\\":\\"create\\",`,
      ),
      open,
    );
    expect(facts.deltaTypeFrom).toBe('event');
    expect(cutPhrase(facts, open)).toBe(
      "block 38's input_json_delta cut 20 bytes into its partial_json",
    );
  });

  it('says the payload was whole when the cut came after it', () => {
    const facts = cutFacts(cutOf(`${HEAD}"delta":{"type":"text_delta","text":"abc"}`), undefined);
    expect(cutPhrase(facts, undefined)).toBe(
      "block 38's text_delta cut after its whole text (3 bytes), before the event's end",
    );
  });

  it('says the bytes stop before the payload when only the delta type arrived', () => {
    const text = `${HEAD}"delta":{"type":"thinking_delta","thi`;
    const facts = cutFacts(cutOf(text), undefined);
    expect(cutPhrase(facts, undefined)).toBe(
      `block 38's thinking_delta cut ${enc(text).length} bytes into the event, before its thinking`,
    );
  });

  it('infers the delta type from the block: its earlier deltas, or a tool block', () => {
    const bytes = `${HEAD}"d`;
    const n = enc(bytes).length;
    const afterDeltas = cutFacts(cutOf(bytes), toolBlock('input_json_delta'));
    expect(afterDeltas).toMatchObject({ deltaType: 'input_json_delta', deltaTypeFrom: 'block' });
    expect(cutPhrase(afterDeltas, toolBlock('input_json_delta'))).toBe(
      `block 38's next delta (input_json_delta, as its earlier deltas) cut ${n} bytes into the event, before its delta type`,
    );
    const first = cutFacts(cutOf(bytes), toolBlock(undefined));
    expect(cutPhrase(first, toolBlock(undefined))).toBe(
      `block 38's next delta (input_json_delta, for a server_tool_use block) cut ${n} bytes into the event, before its delta type`,
    );
  });

  it('does not infer from a block the cut event does not belong to, nor for a text block without deltas', () => {
    const other = cutFacts(cutOf(`${HEAD.replace('38', '39')}"d`), toolBlock('input_json_delta'));
    expect(other.deltaType).toBeUndefined();
    const text: OpenBlockFacts = {
      ...toolBlock(undefined),
      blockType: 'text',
      toolName: undefined,
    };
    const plain = cutFacts(cutOf(`${HEAD}"d`), text);
    expect(plain.deltaType).toBeUndefined();
    expect(cutPhrase(plain, text)).toContain("block 38's next delta cut");
  });

  it('names other events and unknown ones', () => {
    const start = cutFacts(
      cutOf(
        'event: content_block_start\ndata: {"type":"content_block_start","index":5,"content_block":{"type":"server_tool_use","id":"s',
      ),
      undefined,
    );
    expect(cutPhrase(start, undefined)).toMatch(
      /^a content_block_start of block 5 \(server_tool_use\) cut \d+ bytes into the event$/,
    );
    expect(cutPhrase(cutFacts(cutOf('data: {"ty'), undefined), undefined)).toBe(
      'an event cut 10 bytes in, before its type',
    );
  });
});
