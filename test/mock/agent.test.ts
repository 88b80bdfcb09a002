/**
 * The mock serving a coding agent's traffic (Claude Code, the Agent SDK): side requests kept
 * out of the run, the next turn after tool results, HEAD probes, `?beta=true`, and request
 * bodies shaped like an agent's (system blocks, cache_control, dozens of tools, thinking).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NEXT_TURN_TEXT, parseScenario, ScenarioError } from '../../src/mock/index.js';
import { fixtureScenario, mockHeaders, useMock } from '../helpers/mock.js';

const mock = useMock();
const TOOLS_SCENARIO = 'parallel-tools';
const TEXT_SCENARIO = 'plain-long-text';

/** A body shaped like Claude Code's: system blocks with cache_control, 30 tools, thinking. */
function agentBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'claude-opus-4-6',
    max_tokens: 64_000,
    stream: true,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1' },
      { type: 'text', text: 'You are an agent.', cache_control: { type: 'ephemeral' } },
    ],
    tools: Array.from({ length: 30 }, (_, i) => ({
      name: `Tool${i}`,
      description: `tool ${i}`,
      input_schema: { type: 'object', properties: { arg: { type: 'string' } } },
      ...(i === 29 ? { cache_control: { type: 'ephemeral' } } : {}),
    })),
    thinking: { type: 'adaptive', display: 'omitted' },
    output_config: { effort: 'high' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    metadata: { user_id: '{"device_id":"d"}' },
    messages: [
      {
        role: 'user',
        content: [{ type: 'text', text: 'Fix the tests.', cache_control: { type: 'ephemeral' } }],
      },
    ],
    ...extra,
  };
}

function post(
  body: unknown,
  headers: Record<string, string>,
  path = '/v1/messages?beta=true',
): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** The text of a streamed message (its text deltas joined). */
async function streamedText(res: Response): Promise<string> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.includes('"text_delta"'))
    .map(
      (e) =>
        (JSON.parse(e.slice(e.indexOf('data: ') + 6)) as { delta: { text: string } }).delta.text,
    )
    .join('');
}

describe('an agent-shaped request', () => {
  it('is served from the scenario: ?beta=true, system blocks, cache_control, 30 tools, adaptive thinking', async () => {
    const res = await post(agentBody(), mockHeaders(TEXT_SCENARIO, { 'x-mock-faults': '{}' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-mock-request-kind')).toBe('fresh');
    const scenario = fixtureScenario(TEXT_SCENARIO);
    expect(await streamedText(res)).toBe((scenario.message.content[0] as { text: string }).text);
    expect(mock.server.requests[0]?.outputTokens).toBe(scenario.message.usage.output_tokens);
  });

  it('with budgeted thinking is served the same way', async () => {
    const res = await post(
      agentBody({
        model: 'claude-sonnet-4-5',
        thinking: { type: 'enabled', budget_tokens: 31_999 },
      }),
      mockHeaders(TEXT_SCENARIO, { 'x-mock-faults': '{}' }),
    );
    expect(res.status).toBe(200);
    await res.text();
    expect(mock.server.requests[0]?.kind).toBe('fresh');
  });

  it('POST /v1/messages/count_tokens?beta=true counts it', async () => {
    const { stream: _, max_tokens: __, ...body } = agentBody();
    const res = await post(body, mockHeaders(TEXT_SCENARIO), '/v1/messages/count_tokens?beta=true');
    expect(res.status).toBe(200);
    const counted = (await res.json()) as { input_tokens: number };
    expect(counted.input_tokens).toBeGreaterThan(100);
  });
});

describe('HEAD probes', () => {
  it.each(['/', '/api/hello'])('HEAD %s answers 200 with no body', async (path) => {
    const res = await fetch(`${mock.url}${path}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('side requests of an agent (x-mock-agent)', () => {
  const sideBody = {
    model: 'claude-haiku-4-5',
    max_tokens: 512,
    system: [{ type: 'text', text: 'Write a 5-word title for this conversation.' }],
    messages: [{ role: 'user', content: 'Fix the tests.' }],
  };

  it('a request without tools gets a short default answer, no fault, and is no attempt of the run', async () => {
    const headers = mockHeaders(TOOLS_SCENARIO, {
      'x-mock-agent': '1',
      'x-mock-run': 'side-run',
      'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', afterEvents: 3 } }),
    });
    const side = await post(sideBody, headers);
    expect(side.status).toBe(200);
    expect(side.headers.get('x-mock-request-kind')).toBe('side');
    const message = (await side.json()) as { content: { text: string }[]; model: string };
    expect(message.content[0]?.text).toBe('OK.');
    expect(message.model).toBe('claude-haiku-4-5');
    // The agent's own turn is still attempt 1 of the run, and gets attempt 1's fault.
    const turn = await post(agentBody({ model: 'claude-sonnet-4-5' }), headers);
    await turn.text().catch(() => '');
    const [sideRecord, turnRecord] = mock.server.requests;
    expect(sideRecord).toMatchObject({ kind: 'side', attempt: 0, fault: undefined });
    expect(turnRecord).toMatchObject({ kind: 'fresh', attempt: 1, fault: { kind: 'drop' } });
  });

  it('a streamed side request gets the answer as a stream; one asking for JSON gets {}', async () => {
    const headers = mockHeaders(TOOLS_SCENARIO, { 'x-mock-agent': '1' });
    const streamed = await post({ ...sideBody, stream: true }, headers);
    expect(await streamedText(streamed)).toBe('OK.');
    const json = await post(
      { ...sideBody, output_config: { format: { type: 'json_schema', schema: {} } } },
      headers,
    );
    expect(((await json.json()) as { content: { text: string }[] }).content[0]?.text).toBe('{}');
  });

  it('without x-mock-agent, a request without tools is the scenario’s', async () => {
    const res = await post(sideBody, mockHeaders(TEXT_SCENARIO, { 'x-mock-faults': '{}' }));
    expect(res.headers.get('x-mock-request-kind')).toBe('fresh');
    await res.text();
  });

  it('the agent server option makes every client an agent', async () => {
    const { startMock } = await import('../../src/mock/index.js');
    const server = await startMock({ scenarios: [fixtureScenario(TEXT_SCENARIO)], agent: true });
    try {
      const res = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sideBody),
      });
      expect(res.headers.get('x-mock-request-kind')).toBe('side');
    } finally {
      await server.close();
    }
  });
});

describe('the next turn, after the agent ran the tools', () => {
  const scenario = fixtureScenario(TOOLS_SCENARIO);
  const toolUses = scenario.message.content.filter((b) => b.type === 'tool_use') as {
    id: string;
  }[];
  const conversation = [
    { role: 'user', content: 'Look these up.' },
    { role: 'assistant', content: scenario.message.content },
    {
      role: 'user',
      content: toolUses.map((t) => ({ type: 'tool_result', tool_use_id: t.id, content: 'ok' })),
    },
  ];

  it('a request repeating the whole tool message with every result gets the next turn', async () => {
    const res = await post(
      { model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: conversation },
      mockHeaders(TOOLS_SCENARIO, { 'x-mock-faults': '{}' }),
    );
    expect(res.headers.get('x-mock-request-kind')).toBe('next-turn');
    expect(await streamedText(res)).toBe(DEFAULT_NEXT_TURN_TEXT);
  });

  it("a scenario's nextTurn message is what the next turn says", async () => {
    const { startMock } = await import('../../src/mock/index.js');
    const withNext = parseScenario(
      {
        name: 'tools-then-text',
        message: scenario.message,
        nextTurn: { ...scenario.message, content: [{ type: 'text', text: 'All three found.' }] },
      },
      'tools-then-text.json',
    );
    const server = await startMock({ scenarios: [withNext] });
    try {
      const res = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', max_tokens: 9, messages: conversation }),
      });
      const message = (await res.json()) as { content: { text: string }[]; id: string };
      expect(message.content).toEqual([{ type: 'text', text: 'All three found.' }]);
      expect(message.id).not.toBe(scenario.message.id);
      expect(server.requests[0]?.kind).toBe('next-turn');
    } finally {
      await server.close();
    }
  });

  it('a nextTurn that is not a message is a ScenarioError naming the field', () => {
    expect(() =>
      parseScenario({ name: 'x', message: scenario.message, nextTurn: { type: 'nope' } }, 'x.json'),
    ).toThrow(ScenarioError);
    expect(() =>
      parseScenario({ name: 'x', message: scenario.message, nextTurn: { type: 'nope' } }, 'x.json'),
    ).toThrow(/nextTurn/);
  });
});
