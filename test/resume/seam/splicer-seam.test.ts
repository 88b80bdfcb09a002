/**
 * The seam inside the splicer: which text a resumed attempt's first text block is joined to,
 * what the client receives, and what the report records.
 */
import { describe, expect, it } from 'vitest';
import { Splicer } from '../../../src/resume/index.js';
import { SseDecoder } from '../../../src/sse/index.js';

type Ev = [string, Record<string, unknown>];

const start: Ev = [
  'message_start',
  {
    message: {
      id: 'm',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [],
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  },
];
const textStart = (index: number): Ev => [
  'content_block_start',
  { index, content_block: { type: 'text', text: '' } },
];
const text = (index: number, t: string): Ev => [
  'content_block_delta',
  { index, delta: { type: 'text_delta', text: t } },
];
const stop = (index: number): Ev => ['content_block_stop', { index }];
const end: Ev[] = [
  [
    'message_delta',
    { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } },
  ],
  ['message_stop', {}],
];

function push(splicer: Splicer, list: Ev[], out: Uint8Array[]): void {
  for (const [type, data] of list) splicer.push({ type, data: { type, ...data } }, out);
}

/** The text blocks the client received, in order. */
function received(out: Uint8Array[]): string[] {
  const decoder = new SseDecoder();
  const blocks: string[] = [];
  for (const e of out.flatMap((c) => decoder.push(c))) {
    const d = JSON.parse(e.data) as {
      type: string;
      index?: number;
      content_block?: { type: string };
      delta?: { text?: string };
    };
    if (d.type === 'content_block_start')
      blocks[d.index ?? 0] = d.content_block?.type === 'text' ? '' : `<${d.content_block?.type}>`;
    if (d.type === 'content_block_delta' && d.delta?.text !== undefined)
      blocks[d.index ?? 0] += d.delta.text;
  }
  return blocks;
}

function resumed(options: ConstructorParameters<typeof Splicer>[0], continuation: Ev[]) {
  const splicer = new Splicer(options);
  const out: Uint8Array[] = [];
  push(
    splicer,
    [start, textStart(0), text(0, 'We need an incremental '), text(0, 'synchronis')],
    out,
  );
  splicer.failAttempt(out);
  splicer.beginAttempt('continue', []);
  push(splicer, [start, ...continuation, ...end], out);
  return { splicer, out };
}

describe('the seam in the splicer', () => {
  it('joins the continuation into the open text block and records the seam', () => {
    const { splicer, out } = resumed({}, [
      textStart(0),
      text(0, 'synchronisa'),
      text(0, 'tion across regions.'),
      stop(0),
    ]);
    expect(received(out)).toEqual(['We need an incremental synchronisation across regions.']);
    expect(splicer.seams).toEqual([
      {
        attempt: 2,
        blockIndex: 0,
        offset: 'We need an incremental synchronis'.length,
        trimmed: 'synchronis'.length,
        rule: 'word',
        removed: [],
        whitespace: 'none',
        confidence: 'high',
      },
    ]);
  });

  it('keeps text around the seam only with seamExcerpts', () => {
    const { splicer } = resumed({ seamExcerpts: true }, [
      textStart(0),
      text(0, 'synchronisation across regions.'),
      stop(0),
    ]);
    expect(splicer.seams[0]?.excerpt).toEqual({
      before: 'We need an incremental synchronis',
      removed: 'synchronis',
      after: 'ation across regions.',
    });
  });

  it('a continuation that opens with its own thinking keeps it as a separate block, and the text after it is seamed', () => {
    const thinking: Ev[] = [
      [
        'content_block_start',
        { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      ],
      [
        'content_block_delta',
        { index: 0, delta: { type: 'thinking_delta', thinking: 'Resume the word.' } },
      ],
      ['content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
      stop(0),
    ];
    const { splicer, out } = resumed({}, [
      ...thinking,
      textStart(1),
      text(1, 'synchronisation across regions.'),
      stop(1),
    ]);
    const blocks = received(out);
    expect(blocks).toEqual([
      'We need an incremental synchronis',
      '<thinking>',
      'ation across regions.',
    ]);
    expect(blocks[0] + (blocks[2] ?? '')).toBe(
      'We need an incremental synchronisation across regions.',
    );
    expect(splicer.seams[0]).toMatchObject({ blockIndex: 2, offset: 0, rule: 'word' });
  });

  it('after its own thinking, a continuation keeps the space it opens with (the closed block ended with a word)', () => {
    const splicer = new Splicer();
    const out: Uint8Array[] = [];
    push(splicer, [start, textStart(0), text(0, 'It closes the token')], out);
    splicer.failAttempt(out);
    splicer.beginAttempt('continue', []);
    push(
      splicer,
      [
        start,
        [
          'content_block_start',
          { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        ],
        [
          'content_block_delta',
          { index: 0, delta: { type: 'thinking_delta', thinking: 'Go on.' } },
        ],
        ['content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
        stop(0),
        textStart(1),
        text(1, ' would be next.'),
        stop(1),
        ...end,
      ],
      out,
    );
    const blocks = received(out);
    expect((blocks[0] ?? '') + (blocks[2] ?? '')).toBe('It closes the token would be next.');
  });

  it('a naive seam (seam: "append") appends the restatement', () => {
    const { splicer, out } = resumed({ seam: 'append' }, [
      textStart(0),
      text(0, 'synchronisation across regions.'),
      stop(0),
    ]);
    expect(received(out)).toEqual([
      'We need an incremental synchronissynchronisation across regions.',
    ]);
    expect(splicer.seams[0]?.rule).toBe('append');
  });

  it('prefill continues the text as written: no restatement rule applies', () => {
    const splicer = new Splicer();
    const out: Uint8Array[] = [];
    push(splicer, [start, textStart(0), text(0, 'The migra')], out);
    splicer.failAttempt(out);
    splicer.beginAttempt('prefill', []);
    push(splicer, [start, textStart(0), text(0, 'tion plan is ready.'), stop(0), ...end], out);
    expect(received(out)).toEqual(['The migration plan is ready.']);
    expect(splicer.seams[0]).toMatchObject({ rule: 'append', trimmed: 0 });
  });
});
