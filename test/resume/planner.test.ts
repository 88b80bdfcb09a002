import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../src/protocol/index.js';
import {
  continuationInstruction,
  DEFAULT_CONTINUATION_INSTRUCTION,
  type DownstreamView,
  type MessageRequestBody,
  ModelTable,
  planContinuation,
  splitSendable,
  textTail,
} from '../../src/resume/index.js';

const original: MessageRequestBody = {
  model: 'claude-opus-4-6',
  max_tokens: 1024,
  stream: true,
  messages: [{ role: 'user', content: 'Write a poem.' }],
};

const view = (over: Partial<DownstreamView>): DownstreamView => ({
  blocks: [],
  openText: undefined,
  containerId: undefined,
  finished: false,
  ...over,
});

const text = (t: string) => ({ type: 'text', text: t, citations: null }) as unknown as ContentBlock;
const toolUse = (id: string) =>
  ({
    type: 'tool_use',
    id,
    name: 'get_weather',
    input: { city: 'Paris' },
  }) as unknown as ContentBlock;
const serverUse = (id: string) =>
  ({
    type: 'server_tool_use',
    id,
    name: 'bash_code_execution',
    input: { command: 'ls' },
  }) as unknown as ContentBlock;
const serverResult = (id: string) =>
  ({
    type: 'bash_code_execution_tool_result',
    tool_use_id: id,
    content: {
      type: 'bash_code_execution_result',
      stdout: 'a',
      stderr: '',
      return_code: 0,
      content: [],
    },
  }) as unknown as ContentBlock;

describe('planner', () => {
  it('restarts with the original request when nothing was emitted', () => {
    const plan = planContinuation({
      original,
      view: view({}),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.strategy).toBe('restart');
    expect(plan.body?.messages).toEqual(original.messages);
  });

  it('uses a continuation turn on claude-opus-4-6, with the partial text stripped of trailing whitespace', () => {
    const plan = planContinuation({
      original,
      view: view({ openText: 'Roses are red,\n' }),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.strategy).toBe('continue');
    expect(plan.body?.messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Roses are red,' }] },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: continuationInstruction(DEFAULT_CONTINUATION_INSTRUCTION, 'Roses are red,'),
          },
        ],
      },
    ]);
  });

  it('quotes the end of the partial text in the continuation turn: the last instructionTail characters', () => {
    const long = `${'x'.repeat(300)} the tail`;
    const instruction = (tail?: number) => {
      const plan = planContinuation({
        original,
        view: view({ openText: long }),
        models: new ModelTable(),
        budgetLeft: true,
        ...(tail === undefined ? {} : { instructionTail: tail }),
      });
      const user = plan.body?.messages.at(-1)?.content as Array<{ text: string }>;
      return user[0]?.text ?? '';
    };
    expect(instruction()).toContain(
      `<previous_message_end>${long.slice(-100)}</previous_message_end>`,
    );
    expect(instruction()).not.toContain(long.slice(-101));
    expect(instruction(20)).toContain(`<previous_message_end>${long.slice(-20)}</`);
    expect(instruction(0)).toBe(DEFAULT_CONTINUATION_INSTRUCTION);
  });

  it('never starts the quoted tail inside a surrogate pair', () => {
    expect(textTail('ab🎉cd', 3)).toBe('cd');
    expect(textTail('ab🎉cd', 4)).toBe('🎉cd');
    expect(textTail('abc', 0)).toBe('');
  });

  it('uses prefill on claude-sonnet-4-5', () => {
    const plan = planContinuation({
      original: { ...original, model: 'claude-sonnet-4-5' },
      view: view({ openText: 'Roses are' }),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.strategy).toBe('prefill');
    expect(plan.body?.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Roses are' }],
    });
  });

  it('leaves an unpaired client tool_use out of the request and asks the splicer to skip its regeneration', () => {
    const plan = planContinuation({
      original,
      view: view({ blocks: [text('Let me check.'), toolUse('toolu_1')] }),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.strategy).toBe('continue');
    expect(plan.body?.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Let me check.' }],
    });
    expect(plan.skip).toHaveLength(1);
  });

  it('keeps a server tool use with its result, and drops one without', () => {
    const { prefix, skip } = splitSendable([serverUse('a'), serverResult('a'), serverUse('b')]);
    expect(prefix).toHaveLength(2);
    expect(skip).toHaveLength(1);
  });

  it('carries the container id and keeps the skills of the original request', () => {
    const plan = planContinuation({
      original: { ...original, container: { skills: [{ type: 'anthropic', skill_id: 'xlsx' }] } },
      view: view({ openText: 'Working', containerId: 'container_abc' }),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.body?.container).toEqual({
      id: 'container_abc',
      skills: [{ type: 'anthropic', skill_id: 'xlsx' }],
    });
  });

  it('finishes without a request when message_delta had arrived', () => {
    const plan = planContinuation({
      original,
      view: view({ finished: true }),
      models: new ModelTable(),
      budgetLeft: false,
    });
    expect(plan.strategy).toBe('complete');
  });

  it('ends at a complete client tool use when the budget is spent', () => {
    const plan = planContinuation({
      original,
      view: view({ blocks: [text('Checking.'), toolUse('toolu_1')] }),
      models: new ModelTable(),
      budgetLeft: false,
    });
    expect(plan.strategy).toBe('end-at-tool');
  });

  it('fails when the budget is spent and the message cannot end safely', () => {
    const plan = planContinuation({
      original,
      view: view({ openText: 'half a sent' }),
      models: new ModelTable(),
      budgetLeft: false,
    });
    expect(plan.strategy).toBe('fail');
  });

  it('appends to an assistant prefill the caller already sent', () => {
    const plan = planContinuation({
      original: {
        ...original,
        model: 'claude-sonnet-4-5',
        messages: [...original.messages, { role: 'assistant', content: 'Sure:' }],
      },
      view: view({ openText: ' here it' }),
      models: new ModelTable(),
      budgetLeft: true,
    });
    expect(plan.body?.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Sure:' },
        { type: 'text', text: ' here it' },
      ],
    });
  });
});
