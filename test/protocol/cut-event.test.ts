import { describe, expect, it } from 'vitest';
import { describeCutEvent } from '../../src/protocol/index.js';

const enc = (text: string) => new TextEncoder().encode(text);
const DELTA_HEAD =
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":38,"delta":{"type":"input_json_delta","partial_json":"';

describe('describeCutEvent', () => {
  it('names the delta type and how far into its partial_json the bytes go', () => {
    const bytes = enc(`${DELTA_HEAD}{\\"command\\":\\"create\\",`);
    expect(describeCutEvent(bytes)).toEqual({
      bytes: bytes.length,
      event: 'content_block_delta',
      index: 38,
      blockType: undefined,
      deltaType: 'input_json_delta',
      payloadField: 'partial_json',
      // {"command":"create", unescaped
      payloadBytes: 20,
      payloadComplete: false,
    });
  });

  it('stops before the delta type when its bytes did not arrive', () => {
    const cut = describeCutEvent(
      enc('event: content_block_delta\ndata: {"type":"content_block_delta","index":38,"d'),
    );
    expect(cut).toMatchObject({ bytes: 76, event: 'content_block_delta', index: 38 });
    expect(cut?.deltaType).toBeUndefined();
    expect(cut?.payloadBytes).toBeUndefined();
  });

  it('does not read an index whose digits may be cut', () => {
    const cut = describeCutEvent(enc('data: {"type":"content_block_delta","index":3'));
    expect(cut?.event).toBe('content_block_delta');
    expect(cut?.index).toBeUndefined();
  });

  it('says the payload was whole when the cut came after its closing quote', () => {
    const cut = describeCutEvent(enc(`${DELTA_HEAD}abc"}}`));
    expect(cut).toMatchObject({ payloadBytes: 3, payloadComplete: true });
  });

  it('counts UTF-8 bytes of the unescaped payload, not a character or escape cut in half', () => {
    const text =
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"h\\u00e9 ';
    // "hé " is 4 bytes; then half of "é" (2 bytes) and half of an escape
    const whole = enc(text);
    const halfChar = new Uint8Array([...whole, 0xc3]);
    expect(describeCutEvent(halfChar)).toMatchObject({ deltaType: 'text_delta', payloadBytes: 4 });
    expect(describeCutEvent(enc(`${text}\\u00`))).toMatchObject({ payloadBytes: 4 });
    expect(describeCutEvent(enc(`${text}\\`))).toMatchObject({ payloadBytes: 4 });
  });

  it('names the block a cut content_block_start starts', () => {
    const cut = describeCutEvent(
      enc(
        'event: content_block_start\ndata: {"type":"content_block_start","index":5,"content_block":{"type":"server_tool_use","id":"srv',
      ),
    );
    expect(cut).toMatchObject({
      event: 'content_block_start',
      index: 5,
      blockType: 'server_tool_use',
    });
    expect(cut?.deltaType).toBeUndefined();
  });

  it('reads the type from the data when the event line is missing, and CRLF lines', () => {
    const cut = describeCutEvent(
      enc(
        'data: {"type":"content_block_delta","index":2,"delta":{"type":"thinking_delta","thinking":"ab',
      ),
    );
    expect(cut).toMatchObject({
      event: 'content_block_delta',
      deltaType: 'thinking_delta',
      payloadField: 'thinking',
      payloadBytes: 2,
    });
    const crlf = describeCutEvent(enc('event: message_delta\r\ndata: {"type":"mess'));
    expect(crlf).toMatchObject({ event: 'message_delta' });
  });

  it('returns undefined for whitespace only (an end on an event boundary)', () => {
    expect(describeCutEvent(enc('\n\r\n '))).toBeUndefined();
  });
});
