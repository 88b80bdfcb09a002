import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ContinuationBehaviour,
  checkToolPairing,
  continuationText,
  continuationThinkingBlock,
  cutWord,
  endsWithWhitespace,
  lastCodePoints,
  lastLines,
  lastWords,
  matchPrefix,
  openFenceAt,
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

describe('continuation behaviours', () => {
  const PREAMBLE = 'Continuing from where I left off:';
  const join = (partial: string, rest: string, behaviour: ContinuationBehaviour) =>
    continuationText(partial, rest, behaviour);

  it('with no behaviour, a continuation is the rest of the text, byte for byte', () => {
    expect(join('The quick brown fo', 'x jumps', {})).toBe('x jumps');
    expect(join('The quick brown fo', 'x jumps', { restate: 0 })).toBe('x jumps');
    expect(join('The quick', ' brown', { restartWord: false, restateAll: false })).toBe(' brown');
  });

  it('restate: N restates the last N words', () => {
    expect(join('The quick brown fo', 'x jumps', { restate: 3 })).toBe('quick brown fox jumps');
    expect(join('The quick', ' brown', { restate: 1 })).toBe('quick brown');
  });

  describe('restartWord', () => {
    it('restarts the word the cut fell inside', () => {
      expect(
        join('Plan the incremental synchronis', 'ation across regions.', { restartWord: true }),
      ).toBe('synchronisation across regions.');
      expect(join('set max_ret', 'ries = 3', { restartWord: true })).toBe('max_retries = 3');
      expect(join('call `retry', '_count` once', { restartWord: true })).toBe('retry_count` once');
      expect(join('in 20', '25 and', { restartWord: true })).toBe('2025 and');
    });

    it('restates nothing when the cut fell between words or at punctuation', () => {
      expect(join('the plan', ' is ready', { restartWord: true })).toBe(' is ready');
      expect(join('the plan', '\n\nNext', { restartWord: true })).toBe('\n\nNext');
      expect(join('the plan,', ' then', { restartWord: true })).toBe(' then');
      expect(join('the (plan', ') then', { restartWord: true })).toBe(') then');
      expect(join('ends with 🚀', 'x', { restartWord: true })).toBe('x');
    });

    it('counts combining marks and letters of any script as word characters', () => {
      // "café" written with a combining acute accent, cut before the accent.
      expect(join('un cafe', '\u0301 noir', { restartWord: true })).toBe('cafe\u0301 noir');
      expect(join('un cafe\u0301', 's noirs', { restartWord: true })).toBe('cafe\u0301s noirs');
      // Japanese has no spaces: the run restarts from the last punctuation.
      expect(join('はい。東京の天気は晴', 'れです。', { restartWord: true })).toBe(
        '東京の天気は晴れです。',
      );
      expect(cutWord('Привет, ми', 'р')).toBe('ми');
    });
  });

  describe('restateChars', () => {
    it('restates the last N code points (Chinese, Japanese, Thai)', () => {
      expect(join('我们先迁移用户数据，然后', '再切换流量。', { restateChars: 4 })).toBe(
        '据，然后再切换流量。',
      );
      expect(
        join('今日は東京で会議があります。午後', '三時から始まります。', { restateChars: 4 }),
      ).toBe('す。午後三時から始まります。');
      expect(join('ภาษาไทยไม่มีช่องว่าง', 'ระหว่างคำ', { restateChars: 4 })).toBe('ว่างระหว่างคำ');
      // 3 code points would start on the tone mark of ว่: the whole cluster is restated.
      expect(join('ภาษาไทยไม่มีช่องว่าง', 'ระหว่างคำ', { restateChars: 3 })).toBe('ว่างระหว่างคำ');
    });

    it('never starts inside a grapheme cluster or a surrogate pair', () => {
      expect(lastCodePoints('ab😀', 1)).toBe('😀');
      expect(lastCodePoints('family 👨\u200d👩\u200d👧', 2)).toBe('👨\u200d👩\u200d👧');
      expect(lastCodePoints('family 👨\u200d👩\u200d👧', 5)).toBe('👨\u200d👩\u200d👧');
      expect(lastCodePoints('family 👨\u200d👩\u200d👧', 6)).toBe(' 👨\u200d👩\u200d👧');
      expect(lastCodePoints('cafe\u0301', 1)).toBe('e\u0301');
      expect(lastCodePoints('Japan 🇯🇵', 1)).toBe('🇯🇵');
      // Thai: ั is a combining vowel of ร.
      expect(lastCodePoints('สวัสดีครับ', 2)).toBe('รับ');
      expect(lastCodePoints('สวัสดีครับ', 3)).toBe('รับ');
      expect(lastCodePoints('สวัสดีครับ', 4)).toBe('ครับ');
    });

    it('restates all of a partial text shorter than N', () => {
      expect(join('東京', 'です', { restateChars: 4 })).toBe('東京です');
    });
  });

  describe('restateLines', () => {
    const list = 'Steps:\n\n- back up the data\n- migrate the sch';
    it('restates a list item with its marker, or several', () => {
      expect(join(list, 'ema\n- switch', { restateLines: 1 })).toBe(
        '- migrate the schema\n- switch',
      );
      expect(join(list, 'ema\n- switch', { restateLines: 2 })).toBe(
        '- back up the data\n- migrate the schema\n- switch',
      );
    });

    it('restates a heading, a table row, a code line with its indentation', () => {
      expect(join('Intro.\n\n## Insta', 'lling it', { restateLines: 1 })).toBe('## Installing it');
      expect(join('| a | b |\n|---|---|\n| 1 | tw', 'o |', { restateLines: 1 })).toBe(
        '| 1 | two |',
      );
      expect(join('def f(self):\n    return sel', 'f.x', { restateLines: 1 })).toBe(
        '    return self.x',
      );
    });

    it('restates the last line whole when the cut fell right after its newline', () => {
      // The engine strips the newline from the partial text: it is the start of the rest.
      expect(join('- one\n- two', '\n- three', { restateLines: 1 })).toBe('- two\n- three');
      expect(join('# Title', '\n\nBody', { restateLines: 1 })).toBe('# Title\n\nBody');
    });

    it('restates from the start when there are fewer lines than N', () => {
      expect(join('one line', ' more', { restateLines: 2 })).toBe('one line more');
      expect(lastLines('\nabc', 2)).toBe('\nabc');
      expect(lastLines('a\nb\nc', 2)).toBe('b\nc');
    });
  });

  describe('reopenFence', () => {
    const py = 'Here it is:\n\n```python\ndef add(x):\n    return x +';
    it('reopens the fence with its tag, or bare, and restates the current line', () => {
      expect(join(py, ' 1\n```\n', { reopenFence: 'tag' })).toBe(
        '```python\n    return x + 1\n```\n',
      );
      expect(join(py, ' 1\n```\n', { reopenFence: 'bare' })).toBe('```\n    return x + 1\n```\n');
    });

    it('reopens ~~~ fences and keeps an indented opening line as written', () => {
      const tilde = 'Code:\n~~~~ts\nconst a = 1;\nconst b';
      expect(join(tilde, ' = 2;\n~~~~', { reopenFence: 'tag' })).toBe('~~~~ts\nconst b = 2;\n~~~~');
      expect(join(tilde, ' = 2;\n~~~~', { reopenFence: 'bare' })).toBe('~~~~\nconst b = 2;\n~~~~');
      const indented = '1. Run:\n   ```sh\n   npm ci --no-aud';
      expect(join(indented, 'it', { reopenFence: 'tag' })).toBe('   ```sh\n   npm ci --no-audit');
      expect(join(indented, 'it', { reopenFence: 'bare' })).toBe('```\n   npm ci --no-audit');
    });

    it('restates the whole current line when the cut fell right after a newline in the block', () => {
      expect(join('```python\nimport os', '\nimport sys', { reopenFence: 'tag' })).toBe(
        '```python\nimport os\nimport sys',
      );
    });

    it('changes nothing outside a fence', () => {
      // Closed fence.
      expect(join('```js\nrun()\n```\n\nAfter the co', 'de', { reopenFence: 'tag' })).toBe('de');
      // The cut fell on the opening line, or right after it: no block is open yet.
      expect(join('Text\n```pyt', 'hon\nx', { reopenFence: 'tag' })).toBe('hon\nx');
      expect(join('Text\n```python', '\nimport os', { reopenFence: 'tag' })).toBe('\nimport os');
      // Inline code is not a fence.
      expect(join('Use ```x``` her', 'e', { reopenFence: 'tag' })).toBe('e');
      // Four spaces of indentation: an indented code block, not a fence.
      expect(join('    ```\n    co', 'de', { reopenFence: 'tag' })).toBe('de');
    });

    it('reads fences as CommonMark does', () => {
      // A ~~~ line inside a ``` block is code; a shorter closer does not close.
      expect(openFenceAt('```md\n~~~\nstill')?.line).toBe('```md');
      expect(openFenceAt('````\ncode\n```\nmore')?.marker).toBe('````');
      expect(openFenceAt('````\ncode\n`````\nafter')).toBeUndefined();
      // A closer with trailing text is not a closer; a backtick info string is no opener.
      expect(openFenceAt('```\ncode\n``` x\nmore')?.contentStart).toBe(4);
      expect(openFenceAt('``` a`b\ncode')).toBeUndefined();
      // The last line closes the block even before its newline.
      expect(openFenceAt('```\ncode\n```')).toBeUndefined();
      // Two blocks: the second is open.
      expect(openFenceAt('```a\n1\n```\ntext\n~~~b\n2')?.line).toBe('~~~b');
    });

    it('a reopened fence takes the current line, or the last restateLines lines of its block', () => {
      const code = '```py\na = 1\nb = 2\nc =';
      expect(join(code, ' 3', { reopenFence: 'tag', restate: 1 })).toBe('```py\nc = 3');
      expect(join(code, ' 3', { reopenFence: 'tag', restateLines: 2 })).toBe('```py\nb = 2\nc = 3');
      expect(join(code, ' 3', { reopenFence: 'tag', restateLines: 9 })).toBe(
        '```py\na = 1\nb = 2\nc = 3',
      );
      // Outside a fence, the restatement applies as usual.
      expect(join('plain text he', 're', { reopenFence: 'tag', restate: 2 })).toBe('text here');
    });
  });

  describe('preamble', () => {
    it('writes the preamble and a blank line, then restarts the last 2 words', () => {
      expect(join('The quick brown fo', 'x jumps', { preamble: PREAMBLE })).toBe(
        `${PREAMBLE}\n\nbrown fox jumps`,
      );
    });

    it('uses the restatement field when one is set, and wraps a reopened fence', () => {
      expect(join('The quick brown fo', 'x jumps', { preamble: PREAMBLE, restartWord: true })).toBe(
        `${PREAMBLE}\n\nfox jumps`,
      );
      expect(join('a\n- one\n- tw', 'o', { preamble: PREAMBLE, restateLines: 1 })).toBe(
        `${PREAMBLE}\n\n- two`,
      );
      expect(join('```ts\nlet x', ' = 1;', { preamble: PREAMBLE, reopenFence: 'tag' })).toBe(
        `${PREAMBLE}\n\n\`\`\`ts\nlet x = 1;`,
      );
    });
  });

  it('restateAll restates all of the partial text', () => {
    expect(join('# Title\n\nThe quick', ' brown', { restateAll: true })).toBe(
      '# Title\n\nThe quick brown',
    );
  });

  it('opens with a thinking block before every behaviour, the text in its own block', () => {
    const rest = remainderContent(
      M,
      { completeBlocks: 0, partialText: 'The quick brown fo' },
      { thinking: continuationThinkingBlock(), preamble: PREAMBLE, restartWord: true },
    );
    expect(rest[0]?.type).toBe('thinking');
    expect(rest[1]).toEqual({
      type: 'text',
      text: `${PREAMBLE}\n\nfox jumps over the lazy dog.`,
      citations: null,
    });
  });

  it('applies to continuation turns only, never to prefill', () => {
    const behaviour = { restateAll: true, preamble: PREAMBLE };
    const cut = assistant('The quick brown fo');
    const prefill = planContinuation([user('Go.'), cut], M, { ...rules, ...behaviour });
    expect(prefill.ok && prefill.kind === 'prefill' && prefill.content[0]).toMatchObject({
      text: 'x jumps over the lazy dog.',
    });
    const turn = planContinuation([user('Go.'), cut, user('Continue.')], M, {
      ...rules,
      ...behaviour,
    });
    expect(turn.ok && turn.kind === 'continuation' && turn.content[0]).toMatchObject({
      text: `${PREAMBLE}\n\nThe quick brown fox jumps over the lazy dog.`,
    });
  });

  it('leaves a cut at a block boundary alone: no partial text, no restatement', () => {
    const plan = planContinuation([user('Go.'), assistant(given(1)), user('Continue.')], M, {
      ...rules,
      prefillAllowed: false,
      preamble: PREAMBLE,
      restateAll: true,
    });
    expect(plan.ok && plan.content).toEqual(M.slice(1));
  });

  describe('every restatement is a suffix of the partial text (property)', () => {
    const LONE_SURROGATE =
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
    const pieces = [
      'word ',
      'synchronisation',
      ', ',
      '\n',
      '\n\n',
      '- item ',
      '## Head ',
      '| a | b |',
      '```python\n',
      '```\n',
      '~~~\n',
      '    return x',
      '東京の天気',
      '。',
      'สวัสดีครับ',
      '👨\u200d👩\u200d👧',
      'cafe\u0301',
      '🇯🇵',
      '😀',
    ];
    const behaviours: ContinuationBehaviour[] = [
      { restate: 3 },
      { restartWord: true },
      { restateChars: 4 },
      { restateLines: 1 },
      { restateLines: 2 },
      { restateAll: true },
      { reopenFence: 'tag' },
      { reopenFence: 'bare' },
    ];
    it('joined where it starts, it gives the partial text and the rest again', () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 30 }),
          fc.nat(),
          fc.constantFrom(...behaviours),
          (parts, at, behaviour) => {
            const whole = parts.join('');
            const cps = [...whole];
            const cut = 1 + (at % Math.max(1, cps.length - 1));
            const partial = cps.slice(0, cut).join('').trimEnd();
            if (partial === '') return;
            const rest = whole.slice(partial.length);
            let text = join(partial, rest, behaviour);
            expect(text.endsWith(rest)).toBe(true);
            const fence = openFenceAt(partial);
            if (behaviour.reopenFence !== undefined && fence !== undefined) {
              const opening = behaviour.reopenFence === 'tag' ? fence.line : fence.marker;
              expect(text.startsWith(`${opening}\n`)).toBe(true);
              text = text.slice(opening.length + 1);
            }
            const restated = text.slice(0, text.length - rest.length);
            expect(partial.endsWith(restated)).toBe(true);
            expect(partial.slice(0, partial.length - restated.length) + text).toBe(whole);
            if (behaviour.restateChars !== undefined) {
              expect(restated).not.toMatch(LONE_SURROGATE);
              expect(restated).not.toMatch(/^\p{M}|^\u200d/u);
            }
          },
        ),
        { seed: 4242, numRuns: 500 },
      );
    });
  });
});
