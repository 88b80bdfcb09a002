import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkToolPairing,
  continuationThinkingBlock,
  endsWithWhitespace,
  lastWords,
  matchPrefix,
  PREFILL_REFUSED_MESSAGE,
  planContinuation,
  type RequestBlock,
  type RequestMessage,
  remainderContent,
  TRAILING_WHITESPACE_MESSAGE,
} from '../../src/mock/index.js';
import type { ContentBlock } from '../../src/protocol/index.js';

const FOX = 'The quick brown fox jumps over the lazy dog.';
const M: ContentBlock[] = [
  { type: 'text', text: FOX, citations: null },
  { type: 'server_tool_use', id: 'srv_1', name: 'bash_code_execution', input: { command: 'ls' } },
  {
    type: 'bash_code_execution_tool_result',
    tool_use_id: 'srv_1',
    content: {
      type: 'bash_code_execution_result',
      stdout: 'a\n',
      stderr: '',
      return_code: 0,
      content: [],
    },
  },
  { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
  { type: 'text', text: 'Done, all good.', citations: null },
];

const text = (t: string): RequestBlock => ({ type: 'text', text: t });
const user = (content: RequestMessage['content']): RequestMessage => ({ role: 'user', content });
const assistant = (content: RequestMessage['content']): RequestMessage => ({
  role: 'assistant',
  content,
});
const given = (n: number) => M.slice(0, n) as unknown as RequestBlock[];

const rules = { prefillAllowed: true, restate: 0, continuationThinking: false };

describe('matchPrefix', () => {
  it('matches whole blocks compared by what identifies them', () => {
    const result = matchPrefix(given(3), M);
    expect(result).toEqual({ ok: true, match: { completeBlocks: 3 } });
  });

  it('accepts a last text block that is a prefix of the scenario block', () => {
    const result = matchPrefix([text('The quick brown fo')], M);
    expect(result).toEqual({
      ok: true,
      match: { completeBlocks: 0, partialText: 'The quick brown fo' },
    });
  });

  it('counts a last text block equal to the whole scenario block as complete', () => {
    const result = matchPrefix([text(FOX)], M);
    expect(result).toEqual({ ok: true, match: { completeBlocks: 1 } });
  });

  it('rejects a partial text block that is not last, naming its index', () => {
    const result = matchPrefix([text('The quick'), ...given(3).slice(1)], M);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.mismatch.index).toBe(0);
      expect(result.mismatch.reason).toContain('character 9');
    }
  });

  it('names the first block whose tool input differs', () => {
    const blocks = given(2);
    blocks[1] = { ...blocks[1]!, input: { command: 'rm -rf /' } };
    const result = matchPrefix(blocks, M);
    expect(result).toMatchObject({
      ok: false,
      mismatch: { index: 1, matched: 1, reason: "its input differs from the scenario's" },
    });
  });

  it('compares thinking by its signature too', () => {
    const blocks = given(4);
    blocks[3] = { ...blocks[3]!, signature: 'forged' };
    expect(matchPrefix(blocks, M)).toMatchObject({ ok: false, mismatch: { index: 3 } });
  });

  it('compares server results as whole blocks', () => {
    const blocks = given(3);
    blocks[2] = { ...blocks[2]!, content: { type: 'bash_code_execution_result', stdout: 'b\n' } };
    expect(matchPrefix(blocks, M)).toMatchObject({ ok: false, mismatch: { index: 2 } });
  });

  it('ignores citations and cache_control when comparing', () => {
    const blocks = [
      {
        type: 'text',
        text: FOX,
        cache_control: { type: 'ephemeral' },
      },
    ];
    expect(matchPrefix(blocks, M)).toEqual({ ok: true, match: { completeBlocks: 1 } });
  });

  it('rejects more blocks than the scenario has', () => {
    const result = matchPrefix([...given(5), text('extra')], M);
    expect(result).toMatchObject({
      ok: false,
      mismatch: { index: 5, reason: "the scenario's message has only 5 content blocks" },
    });
  });
});

describe('checkToolPairing', () => {
  const toolUse = { type: 'tool_use', id: 'toolu_A', name: 'get_weather', input: {} };

  it('rejects a tool_use without a tool_result in the next message, with the API message', () => {
    const violation = checkToolPairing([
      user('hi'),
      assistant([text('Let me check.'), toolUse]),
      user('continue'),
    ]);
    expect(violation?.message).toBe(
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_A. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
  });

  it('accepts a tool_use answered in the next user message', () => {
    const answered = user([{ type: 'tool_result', tool_use_id: 'toolu_A', content: '18°C' }]);
    expect(checkToolPairing([user('hi'), assistant([toolUse]), answered])).toBeUndefined();
  });

  it('rejects a server_tool_use whose result is not in the same message', () => {
    const violation = checkToolPairing([user('hi'), assistant(given(2))]);
    expect(violation?.message).toMatch(
      /^messages\.1: `server_tool_use` ids were found without their result blocks after them: srv_1\./,
    );
  });

  it('accepts a server_tool_use followed by its result', () => {
    expect(checkToolPairing([user('hi'), assistant(given(3))])).toBeUndefined();
  });
});

describe('text helpers', () => {
  it('lastWords keeps the last N words from the start of the first', () => {
    expect(lastWords('The quick brown fo', 2)).toBe('brown fo');
  });

  it('lastWords keeps trailing whitespace and returns everything when there are fewer words', () => {
    expect(lastWords('  one two ', 5)).toBe('one two ');
    expect(lastWords('one two', 0)).toBe('');
  });

  it('endsWithWhitespace looks at the last block only', () => {
    expect(endsWithWhitespace([text('a\n')])).toBe(true);
    expect(endsWithWhitespace([text('a ')].concat(given(2).slice(1)))).toBe(false);
  });
});

describe('remainderContent', () => {
  it('continues a partial text block with the rest of its text, then the later blocks', () => {
    const rest = remainderContent(M, { completeBlocks: 0, partialText: 'The quick brown fo' });
    expect(rest[0]).toEqual({ type: 'text', text: 'x jumps over the lazy dog.', citations: null });
    expect(rest.slice(1)).toEqual(M.slice(1));
  });

  it('starts at the next block when the prefix ended on a boundary', () => {
    expect(remainderContent(M, { completeBlocks: 3 })).toEqual(M.slice(3));
  });

  it('restates the last words of the partial text on a continuation turn', () => {
    const rest = remainderContent(
      M,
      { completeBlocks: 0, partialText: 'The quick brown fo' },
      { restate: 2 },
    );
    expect(rest[0]).toMatchObject({ type: 'text', text: 'brown fox jumps over the lazy dog.' });
  });

  it('opens with a thinking block and keeps the text as its own block after it', () => {
    const thinking = continuationThinkingBlock();
    const rest = remainderContent(
      M,
      { completeBlocks: 0, partialText: 'The quick ' },
      { thinking },
    );
    expect(rest.map((b) => b.type)).toEqual(['thinking', 'text', ...M.slice(1).map((b) => b.type)]);
    expect(rest[1]).toMatchObject({ text: 'brown fox jumps over the lazy dog.' });
  });
});

describe('planContinuation', () => {
  const question = user('Do it.');

  it('answers a request without a trailing partial message with the whole message', () => {
    expect(planContinuation([question], M, rules)).toEqual({ ok: true, kind: 'fresh', content: M });
  });

  it('refuses prefill for a model that does not allow it, before any other check', () => {
    const plan = planContinuation([question, assistant([text('The quick ')])], M, {
      ...rules,
      prefillAllowed: false,
    });
    expect(plan).toEqual({
      ok: false,
      kind: 'prefill',
      violation: { message: PREFILL_REFUSED_MESSAGE },
    });
  });

  it('rejects a final assistant message ending with whitespace', () => {
    const plan = planContinuation([question, assistant('The quick ')], M, rules);
    expect(plan).toEqual({
      ok: false,
      kind: 'prefill',
      violation: { message: TRAILING_WHITESPACE_MESSAGE },
    });
  });

  it('answers a prefill with the rest of the message', () => {
    const plan = planContinuation([question, assistant('The quick')], M, rules);
    expect(plan.ok && plan.kind === 'prefill' && plan.content[0]).toMatchObject({
      text: ' brown fox jumps over the lazy dog.',
    });
  });

  it('rejects a prefill that is not a prefix, naming the message and block', () => {
    const plan = planContinuation(
      [question, assistant([text('The quick brown fox jumps over the lazy dog.'), text('Nope')])],
      M,
      rules,
    );
    expect(plan.ok).toBe(false);
    if (!plan.ok)
      expect(plan.violation.message).toMatch(
        /^messages\.1\.content\.1: the assistant content is not a prefix/,
      );
  });

  it('requires a thinking block first in a prefill when thinking is enabled', () => {
    const plan = planContinuation([question, assistant('The quick')], M, {
      ...rules,
      thinkingEnabled: true,
    });
    expect(plan.ok).toBe(false);
    if (!plan.ok)
      expect(plan.violation.message).toContain(
        'Expected `thinking` or `redacted_thinking`, but found `text`',
      );
  });

  it('recognizes a continuation turn and restates the configured number of words', () => {
    const plan = planContinuation(
      [question, assistant('The quick brown fo'), user('Continue exactly where you stopped.')],
      M,
      {
        ...rules,
        restate: 2,
      },
    );
    expect(plan).toMatchObject({
      ok: true,
      kind: 'continuation',
      match: { completeBlocks: 0, partialText: 'The quick brown fo' },
    });
    expect(plan.ok && plan.content[0]).toMatchObject({
      text: 'brown fox jumps over the lazy dog.',
    });
  });

  it('allows trailing whitespace in the partial message of a continuation turn', () => {
    const plan = planContinuation([question, assistant('The quick '), user('Continue.')], M, {
      ...rules,
      prefillAllowed: false,
    });
    expect(plan).toMatchObject({ ok: true, kind: 'continuation' });
  });

  it('rejects a continuation turn whose partial message holds an unpaired tool_use', () => {
    const target: ContentBlock[] = [
      M[0]!,
      { type: 'tool_use', id: 'toolu_B', name: 'f', input: {} },
    ];
    const partial = assistant([
      text('The quick brown fox jumps over the lazy dog.'),
      { type: 'tool_use', id: 'toolu_B', name: 'f', input: {} },
    ]);
    const plan = planContinuation([question, partial, user('Continue.')], target, rules);
    expect(plan).toMatchObject({ ok: false, kind: 'continuation' });
    if (!plan.ok) expect(plan.violation.message).toContain('toolu_B');
  });

  it('rejects a continuation turn that diverges after matching blocks', () => {
    const partial = assistant([
      ...given(3),
      { type: 'thinking', thinking: 'Other.', signature: 'sig' },
    ]);
    const plan = planContinuation([question, partial, user('Continue.')], M, rules);
    expect(plan).toMatchObject({ ok: false, kind: 'continuation' });
  });

  it('treats an earlier assistant turn unrelated to the scenario as a fresh conversation', () => {
    const plan = planContinuation(
      [question, assistant('Something else entirely.'), user('Now this.')],
      M,
      rules,
    );
    expect(plan).toEqual({ ok: true, kind: 'fresh', content: M });
  });
});

describe('prefix and remainder (property)', () => {
  const target: ContentBlock[] = [
    { type: 'text', text: 'Première partie: café, 東京 and 🚀 go together.' },
    {
      type: 'server_tool_use',
      id: 'srv_9',
      name: 'bash_code_execution',
      input: { command: 'ls -la' },
    },
    {
      type: 'bash_code_execution_tool_result',
      tool_use_id: 'srv_9',
      content: {
        type: 'bash_code_execution_result',
        stdout: 'x',
        stderr: '',
        return_code: 0,
        content: [],
      },
    },
    { type: 'text', text: 'Second part, after the tool.' },
  ] as ContentBlock[];

  it('a prefix cut anywhere, plus its remainder, is the whole message again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: target.length }), fc.nat(), (k, offset) => {
        const blocks = target.slice(0, k) as unknown as RequestBlock[];
        const next = target[k] as { type: string; text?: string } | undefined;
        let partialText: string | undefined;
        if (next?.type === 'text') {
          const chars = [...(next.text ?? '')];
          partialText = chars.slice(0, offset % chars.length).join('');
          if (partialText !== '') blocks.push(text(partialText));
        }
        const matched = matchPrefix(blocks, target);
        expect(matched.ok).toBe(true);
        if (!matched.ok) return;
        const rest = remainderContent(target, matched.match);
        const rebuilt = [...(blocks as unknown as ContentBlock[])];
        const first = rest[0] as { type: string; text?: string } | undefined;
        if (matched.match.partialText !== undefined && first?.type === 'text') {
          rebuilt[rebuilt.length - 1] = {
            ...first,
            text: matched.match.partialText + first.text,
          } as ContentBlock;
          rebuilt.push(...rest.slice(1));
        } else {
          rebuilt.push(...rest);
        }
        expect(rebuilt).toEqual(target);
      }),
    );
  });
});
