/**
 * The planner's request forms beyond the basics of planner.test.ts: an assistant turn the
 * caller already sent, prefill's whitespace rule on a complete final block, thinking blocks in
 * the partial message, client tool uses before open text, and the reasons given.
 */
import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../src/protocol/index.js';
import {
  DEFAULT_CONTINUATION_INSTRUCTION,
  type DownstreamView,
  type MessageParamLike,
  type MessageRequestBody,
  ModelTable,
  planContinuation,
  splitSendable,
  textTail,
} from '../../src/resume/index.js';

const PREFILL_MODEL = 'claude-sonnet-4-5';
const CONTINUE_MODEL = 'claude-opus-4-6';

const request = (model: string, over: Partial<MessageRequestBody> = {}): MessageRequestBody => ({
  model,
  max_tokens: 1024,
  stream: true,
  messages: [{ role: 'user', content: 'Write a poem.' }],
  ...over,
});

const view = (over: Partial<DownstreamView>): DownstreamView => ({
  blocks: [],
  openText: undefined,
  containerId: undefined,
  finished: false,
  ...over,
});

const block = (b: Record<string, unknown>) => b as unknown as ContentBlock;
const text = (t: string, citations: unknown = null) => block({ type: 'text', text: t, citations });
const thinking = (t: string, signature: string) =>
  block({ type: 'thinking', thinking: t, signature });
const toolUse = (id: string) =>
  block({ type: 'tool_use', id, name: 'get_weather', input: { city: 'Paris' }, caller: { x: 1 } });

const plan = (original: MessageRequestBody, v: Partial<DownstreamView>, budgetLeft = true) =>
  planContinuation({ original, view: view(v), models: new ModelTable(), budgetLeft });

const instructionTurn = (tail: string) => ({
  role: 'user',
  content: [
    {
      type: 'text',
      text: `${DEFAULT_CONTINUATION_INSTRUCTION}\n\nYour previous message ends with the text inside <previous_message_end> below (the tags are not part of it). If it stopped in the middle of a word, a number or a line of code, continue that word, number or line; do not write any of this text again.\n<previous_message_end>${tail}</previous_message_end>`,
    },
  ],
});

describe('an assistant turn the caller already sent', () => {
  const prior: MessageParamLike[] = [
    { role: 'user', content: 'Write a poem.' },
    { role: 'assistant', content: [{ type: 'text', text: 'Here is a poem:' }] },
  ];

  it('is continued with the partial message, not followed by a second assistant turn (prefill)', () => {
    const p = plan(request(PREFILL_MODEL, { messages: prior }), { openText: '\nRoses' });
    expect(p.strategy).toBe('prefill');
    expect(p.body?.messages).toEqual([
      { role: 'user', content: 'Write a poem.' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Here is a poem:' },
          { type: 'text', text: '\nRoses' },
        ],
      },
    ]);
  });

  it('is continued, then the continuation turn follows (continue)', () => {
    const p = plan(request(CONTINUE_MODEL, { messages: prior }), { openText: 'Roses are' });
    expect(p.body?.messages).toEqual([
      { role: 'user', content: 'Write a poem.' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Here is a poem:' },
          { type: 'text', text: 'Roses are' },
        ],
      },
      instructionTurn('Roses are'),
    ]);
  });

  it('is continued in a longer conversation, every earlier turn kept as it was', () => {
    const turns: MessageParamLike[] = [
      { role: 'user', content: 'Hi.' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Write a poem.' },
      { role: 'assistant', content: 'Here:' },
    ];
    const p = plan(request(PREFILL_MODEL, { messages: turns }), { openText: ' Roses' });
    expect(p.body?.messages).toEqual([
      ...turns.slice(0, 3),
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Here:' },
          { type: 'text', text: ' Roses' },
        ],
      },
    ]);
  });

  it('leaves the original request untouched', () => {
    const original = request(PREFILL_MODEL, { messages: structuredClone(prior) });
    const before = structuredClone(original);
    plan(original, { openText: 'Roses' });
    expect(original).toEqual(before);
  });
});

describe('prefill and trailing whitespace', () => {
  it('strips the trailing whitespace of a complete final text block', () => {
    const p = plan(request(PREFILL_MODEL), { blocks: [text('Roses are red.\n\n')] });
    expect(p.strategy).toBe('prefill');
    expect(p.body?.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Roses are red.' }],
    });
  });

  it('drops a final text block of whitespace only, keeping the blocks before it', () => {
    const p = plan(request(PREFILL_MODEL), { blocks: [text('Intro.'), text(' \n\t')] });
    expect(p.body?.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Intro.' }],
    });
  });

  it('restarts when nothing was emitted', () => {
    const p = plan(request(PREFILL_MODEL), {});
    expect(p.strategy).toBe('restart');
    expect(p.body?.messages).toEqual([{ role: 'user', content: 'Write a poem.' }]);
  });

  it('restarts when the only block is whitespace', () => {
    const p = plan(request(PREFILL_MODEL), { blocks: [text('\n\n')] });
    expect(p.strategy).toBe('restart');
    expect(p.reason).toBe(
      'no emitted content can be sent back; regenerating and skipping what was emitted',
    );
  });

  it('keeps the whitespace of an earlier block: only the final one must not end with it', () => {
    const p = plan(request(PREFILL_MODEL), {
      blocks: [text('One.\n\n'), text('Two ')],
    });
    expect(p.body?.messages.at(-1)?.content).toEqual([
      { type: 'text', text: 'One.\n\n' },
      { type: 'text', text: 'Two' },
    ]);
  });

  it('sends a complete block as it was in a continuation turn', () => {
    const p = plan(request(CONTINUE_MODEL), { blocks: [text('Roses are red.\n\n')] });
    expect(p.strategy).toBe('continue');
    expect(p.body?.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Roses are red.\n\n' }],
    });
    expect(p.body?.messages[2]).toEqual(instructionTurn('Roses are red.\n\n'));
  });
});

describe('thinking in the partial message', () => {
  it('sends a signed thinking block back with its signature, then the text', () => {
    const p = plan(
      request(CONTINUE_MODEL, { thinking: { type: 'enabled', budget_tokens: 2048 } }),
      {
        blocks: [thinking('Let me think.', 'sig_abc')],
        openText: 'The answer',
      },
    );
    expect(p.strategy).toBe('continue');
    expect(p.skip).toEqual([]);
    expect(p.body?.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Let me think.', signature: 'sig_abc' },
        { type: 'text', text: 'The answer' },
      ],
    });
  });

  it('uses a continuation turn with thinking enabled, even on a model that accepts prefill', () => {
    const p = plan(request(PREFILL_MODEL, { thinking: { type: 'enabled', budget_tokens: 2048 } }), {
      blocks: [thinking('Hm.', 'sig')],
      openText: 'So',
    });
    expect(p.strategy).toBe('continue');
  });

  it('cannot send an unsigned thinking block: it and what follows are skipped and regenerated', () => {
    const unsigned = thinking('half a thought', '');
    const after = text('Answer.');
    const p = plan(request(CONTINUE_MODEL), {
      blocks: [text('Intro.'), unsigned, after],
      openText: 'More',
    });
    expect(p.strategy).toBe('continue');
    expect(p.skip).toEqual([unsigned, after]);
    // The open text follows skipped blocks, so it is regenerated too, not sent.
    expect(p.body?.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Intro.' }],
    });
  });

  it('restarts when the message opened with an unsigned thinking block', () => {
    const unsigned = block({ type: 'thinking', thinking: 'hm' });
    const p = plan(request(CONTINUE_MODEL), { blocks: [unsigned], openText: 'x' });
    expect(p.strategy).toBe('restart');
    expect(p.skip).toEqual([unsigned]);
    expect(p.body?.messages).toEqual([{ role: 'user', content: 'Write a poem.' }]);
  });

  it('sends a thinking block back in its request form only: type, thinking, signature', () => {
    const extra = block({ type: 'thinking', thinking: 'Hm.', signature: 'sig', index: 0 });
    const p = plan(request(CONTINUE_MODEL), { blocks: [extra], openText: 'So' });
    expect(p.body?.messages[1]?.content).toStrictEqual([
      { type: 'thinking', thinking: 'Hm.', signature: 'sig' },
      { type: 'text', text: 'So' },
    ]);
  });

  it('sends redacted thinking back as it came', () => {
    const redacted = block({ type: 'redacted_thinking', data: 'EncryptedBlob' });
    expect(splitSendable([redacted, text('a')])).toEqual({
      prefix: [redacted, text('a')],
      skip: [],
    });
  });
});

describe('a client tool use followed by open text', () => {
  it('sends the blocks before the tool use, skips the tool use, and lets the open text regenerate', () => {
    const tool = toolUse('toolu_1');
    const p = plan(request(CONTINUE_MODEL), {
      blocks: [text('Let me check.'), tool],
      openText: 'While that runs',
    });
    expect(p.strategy).toBe('continue');
    expect(p.skip).toEqual([tool]);
    expect(p.body?.messages).toEqual([
      { role: 'user', content: 'Write a poem.' },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }] },
      instructionTurn('Let me check.'),
    ]);
  });

  it('restarts, skipping the tool use, when the tool use came first', () => {
    const tool = toolUse('toolu_1');
    const p = plan(request(CONTINUE_MODEL), { blocks: [tool], openText: 'Now' });
    expect(p.strategy).toBe('restart');
    expect(p.skip).toEqual([tool]);
  });

  it('fails rather than ending at the tool when text was open after it and the budget is spent', () => {
    const p = plan(request(CONTINUE_MODEL), { blocks: [toolUse('t')], openText: 'x' }, false);
    expect(p).toEqual({ strategy: 'fail', skip: [], reason: 'attempt budget spent' });
  });

  it('ends at the tool when it is the last thing emitted and the budget is spent', () => {
    const p = plan(request(CONTINUE_MODEL), { blocks: [text('a'), toolUse('t')] }, false);
    expect(p).toEqual({
      strategy: 'end-at-tool',
      skip: [],
      reason: 'attempt budget spent; the message ends with a complete client tool use',
    });
  });

  it('fails with a spent budget when the last block is not a client tool use', () => {
    expect(plan(request(CONTINUE_MODEL), { blocks: [text('a')] }, false).strategy).toBe('fail');
    expect(plan(request(CONTINUE_MODEL), {}, false).strategy).toBe('fail');
  });

  it('sends a tool use back without response-only fields once its result is in the request', () => {
    // A server tool use with its result is sendable; `caller` is not accepted back.
    const use = block({
      type: 'server_tool_use',
      id: 's1',
      name: 'web_search',
      input: { q: 'x' },
      caller: { type: 'direct' },
    });
    const result = block({ type: 'web_search_tool_result', tool_use_id: 's1', content: [] });
    const p = plan(request(CONTINUE_MODEL), { blocks: [use, result], openText: 'Found' });
    expect(p.body?.messages[1]?.content).toEqual([
      { type: 'server_tool_use', id: 's1', name: 'web_search', input: { q: 'x' } },
      { type: 'web_search_tool_result', tool_use_id: 's1', content: [] },
      { type: 'text', text: 'Found' },
    ]);
  });

  it('sends an MCP tool use with its result back without response-only fields', () => {
    const use = block({
      type: 'mcp_tool_use',
      id: 'm1',
      name: 'lookup',
      server_name: 'docs',
      input: {},
      caller: { type: 'direct' },
    });
    const result = block({ type: 'mcp_tool_result', tool_use_id: 'm1', content: [] });
    const p = plan(request(CONTINUE_MODEL), { blocks: [use, result], openText: 'Per the docs' });
    expect(p.body?.messages[1]?.content).toStrictEqual([
      { type: 'mcp_tool_use', id: 'm1', name: 'lookup', server_name: 'docs', input: {} },
      { type: 'mcp_tool_result', tool_use_id: 'm1', content: [] },
      { type: 'text', text: 'Per the docs' },
    ]);
  });

  it('skips a server tool use without an id', () => {
    const use = block({ type: 'server_tool_use', name: 'web_search', input: {} });
    expect(splitSendable([text('a'), use])).toEqual({ prefix: [text('a')], skip: [use] });
  });
});

describe('citations, containers and reasons', () => {
  const citation = { type: 'char_location', cited_text: 'x', start_char_index: 0 };

  it('keeps the citations of complete and open text blocks, and drops empty ones', () => {
    const p = plan(request(CONTINUE_MODEL), {
      blocks: [text('Cited.', [citation]), text('Plain.', [])],
      openText: 'Open',
      openCitations: [citation],
    });
    expect(p.body?.messages[1]?.content).toEqual([
      { type: 'text', text: 'Cited.', citations: [citation] },
      { type: 'text', text: 'Plain.' },
      { type: 'text', text: 'Open', citations: [citation] },
    ]);
    const none = plan(request(CONTINUE_MODEL), { openText: 'Open', openCitations: [] });
    expect(none.body?.messages[1]?.content).toEqual([{ type: 'text', text: 'Open' }]);
  });

  it('continues in the container the stream ran in', () => {
    const p = plan(request(CONTINUE_MODEL), { openText: 'Running', containerId: 'ctr_1' });
    expect(p.body?.container).toBe('ctr_1');
    const restart = plan(request(CONTINUE_MODEL, { container: 'ctr_0' }), {
      containerId: 'ctr_1',
    });
    expect(restart.body?.container).toBe('ctr_1');
    const kept = plan(request(CONTINUE_MODEL, { container: 'ctr_0' }), { openText: 'x' });
    expect(kept.body?.container).toBe('ctr_0');
    const none = plan(request(CONTINUE_MODEL), { openText: 'x' });
    expect(none.body).not.toHaveProperty('container');
    // A restart without a container of its own keeps the request's.
    expect(plan(request(CONTINUE_MODEL, { container: 'ctr_0' }), {}).body?.container).toBe('ctr_0');
    const skills = { skills: [{ type: 'anthropic', skill_id: 'xlsx' }] };
    expect(plan(request(CONTINUE_MODEL, { container: skills }), {}).body?.container).toStrictEqual(
      skills,
    );
    // An explicit null container is replaced by the one the stream ran in.
    expect(
      plan(request(CONTINUE_MODEL, { container: null }), { containerId: 'ctr_1' }).body?.container,
    ).toBe('ctr_1');
  });

  it('says why it chose each form', () => {
    expect(plan(request(CONTINUE_MODEL), {}).reason).toBe('nothing of the message was emitted yet');
    expect(plan(request(CONTINUE_MODEL), { openText: '' }).reason).toBe(
      'no emitted content can be sent back; regenerating and skipping what was emitted',
    );
    expect(plan(request(PREFILL_MODEL), { openText: 'a' }).reason).toBe(
      'the model accepts prefill: the response continues the partial assistant message',
    );
    expect(plan(request(CONTINUE_MODEL), { openText: 'a' }).reason).toBe(
      'the model refuses prefill (Claude 4.6+ or unknown): a continuation turn asks it to go on',
    );
    expect(plan(request(CONTINUE_MODEL), { finished: true }, false)).toEqual({
      strategy: 'complete',
      skip: [],
      reason: 'all content was received; only message_stop was lost',
    });
  });

  it('uses the instruction the caller gave', () => {
    const p = planContinuation({
      original: request(CONTINUE_MODEL),
      view: view({ blocks: [toolUse('t')], openText: undefined, containerId: undefined }),
      models: new ModelTable(),
      budgetLeft: true,
      instruction: 'Go on.',
    });
    expect(p.strategy).toBe('restart');
    const q = planContinuation({
      original: request(CONTINUE_MODEL),
      view: view({ blocks: [thinking('t', 's')] }),
      models: new ModelTable(),
      budgetLeft: true,
      instruction: 'Go on.',
    });
    // The partial message ends with thinking, not text: no quoted tail.
    expect(q.body?.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'Go on.' }],
    });
  });
});

describe('textTail at the edges of the low-surrogate range', () => {
  it('steps over a low surrogate at either end of the range', () => {
    // U+10000 is \ud800\udc00; U+10FFFF is \udbff\udfff.
    expect(textTail('a\u{10000}b', 2)).toBe('b');
    expect(textTail('a\u{10FFFF}b', 2)).toBe('b');
  });

  it('starts at a character just outside the range', () => {
    // U+DBFF is a high surrogate (the pair's start); U+E000 and U+FF71 are ordinary characters.
    expect(textTail('a\u{10FFFF}b', 3)).toBe('\u{10FFFF}b');
    expect(textTail('a\ue000b', 2)).toBe('\ue000b');
    expect(textTail('aｱcd', 3)).toBe('ｱcd');
  });
});
