/**
 * The mock's HTTP surface: endpoints, API-shaped errors, scenario selection, runs and
 * attempts, the request log, and continuations answered over HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../src/protocol/index.js';
import { fixtureScenario, mockHeaders, SEED, useMock } from '../helpers/mock.js';

const mock = useMock();
const SEED_BETAS = 'code-execution-2025-08-25,skills-2025-10-02';

interface ApiError {
  type: string;
  error: { type: string; message: string };
  request_id: string;
}

function post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function request(messages: unknown[], extra: Record<string, unknown> = {}) {
  return { model: 'claude-sonnet-4-5', max_tokens: 1024, messages, ...extra };
}

const ask = { role: 'user', content: 'Go on.' };
/** Turns off the scenario's own fault for attempt 1. */
const NO_FAULTS = { 'x-mock-faults': '{}' };

/** The body received before the connection ended, cleanly or not. */
async function receivedText(res: Response): Promise<string> {
  const parts: Uint8Array[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch {
    // A dropped stream ends here (`TypeError: terminated`): what arrived is what we check.
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The JSON payloads of an SSE body's events. */
function sseEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .filter((e) => e.includes('data: '))
    .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as Record<string, unknown>);
}

async function expectApiError(res: Response, status: number, errorType: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = (await res.json()) as ApiError;
  expect(body.type).toBe('error');
  expect(body.error.type).toBe(errorType);
  expect(body.request_id).toMatch(/^req_/);
  return body.error.message;
}

describe('POST /v1/messages', () => {
  it('streams with the API headers', async () => {
    const res = await post(
      '/v1/messages',
      request([ask], { stream: true }),
      mockHeaders('citations', NO_FAULTS),
    );
    await res.text();
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('x-mock-attempt')).toBe('1');
  });

  it('sends the pre-rendered events of the scenario, without its faults when x-mock-faults is {}', async () => {
    const headers = mockHeaders('citations', { 'x-mock-faults': '{}' });
    const res = await post('/v1/messages', request([ask], { stream: true }), headers);
    const text = await res.text();
    expect(text).toBe(
      Buffer.concat(mock.server.renderedEvents('citations') as Buffer[]).toString(),
    );
  });

  it('answers stream: false with the message as JSON', async () => {
    const res = await post('/v1/messages', request([ask]), mockHeaders('unknown-block', NO_FAULTS));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(fixtureScenario('unknown-block').message);
  });

  it('rejects a body that is not JSON with the API error shape', async () => {
    const res = await post('/v1/messages', '{"model":', mockHeaders('citations'));
    const message = await expectApiError(res, 400, 'invalid_request_error');
    expect(message).toMatch(/^There was an error parsing the body of your request as JSON/);
  });

  it.each([
    [{ max_tokens: 10, messages: [ask] }, 'model: Field required'],
    [{ model: 'm', messages: [ask] }, 'max_tokens: Field required'],
    [
      { model: 'm', max_tokens: '10', messages: [ask] },
      'max_tokens: Input should be a valid integer',
    ],
    [{ model: 'm', max_tokens: 10, messages: 'hi' }, 'messages: Input should be a valid list'],
    [
      { model: 'm', max_tokens: 10, messages: [{ role: 'system', content: 'x' }] },
      "messages.0.role: Input should be 'user' or 'assistant'",
    ],
    [
      { model: 'm', max_tokens: 10, messages: [ask], stream: 'yes' },
      'stream: Input should be a valid boolean',
    ],
  ])('rejects %j: %s', async (body, expected) => {
    const res = await post('/v1/messages', body, mockHeaders('citations'));
    expect(await expectApiError(res, 400, 'invalid_request_error')).toBe(expected);
  });

  it('asks for x-mock-scenario, listing the names, when several scenarios are loaded', async () => {
    const { 'x-mock-scenario': _, ...headers } = mockHeaders('citations');
    const message = await expectApiError(
      await post('/v1/messages', request([ask]), headers),
      400,
      'invalid_request_error',
    );
    expect(message).toContain('x-mock-scenario');
    expect(message).toContain('plain-long-text');
    expect(message).toContain(SEED);
  });

  it('rejects an unknown scenario name, listing the loaded ones', async () => {
    const message = await expectApiError(
      await post('/v1/messages', request([ask]), mockHeaders('nope')),
      400,
      'invalid_request_error',
    );
    expect(message).toMatch(
      /^x-mock-scenario: no scenario named "nope" is loaded \(loaded: .*citations/,
    );
  });

  it('requires the scenario betas when requireBetas is set', async () => {
    const message = await expectApiError(
      await post('/v1/messages', request([ask]), mockHeaders(SEED)),
      400,
      'invalid_request_error',
    );
    expect(message).toContain('code-execution-2025-08-25, skills-2025-10-02');
    expect(message).toContain('anthropic-beta');
  });

  it('never keeps the API key in the request log', async () => {
    await post('/v1/messages', request([ask]), {
      ...mockHeaders('citations'),
      authorization: 'Bearer secret-token',
    });
    const logged = JSON.stringify(mock.server.requests);
    expect(logged).not.toContain('test-key');
    expect(logged).not.toContain('secret-token');
    expect(mock.server.requests[0]?.headers['x-mock-scenario']).toBe('citations');
  });
});

describe('runs and attempts', () => {
  it('counts attempts per x-mock-run', async () => {
    for (const run of ['a', 'a', 'b', 'a']) {
      await (
        await post(
          '/v1/messages',
          request([ask]),
          mockHeaders('unknown-block', { 'x-mock-run': run, ...NO_FAULTS }),
        )
      ).text();
    }
    expect(mock.server.requests.map((r) => `${r.runId}:${r.attempt}`)).toEqual([
      'a:1',
      'a:2',
      'b:1',
      'a:3',
    ]);
  });

  it('counts attempts per scenario without x-mock-run', async () => {
    await (
      await post('/v1/messages', request([ask]), mockHeaders('unknown-block', NO_FAULTS))
    ).text();
    await (await post('/v1/messages', request([ask]), mockHeaders('citations', NO_FAULTS))).text();
    await (
      await post('/v1/messages', request([ask]), mockHeaders('unknown-block', NO_FAULTS))
    ).text();
    expect(mock.server.requests.map((r) => r.attempt)).toEqual([1, 1, 2]);
  });

  it('keeps an x-mock-faults override for the later attempts of its run', async () => {
    const faults = JSON.stringify({ '2': { kind: 'http', status: 529 } });
    const first = await post(
      '/v1/messages',
      request([ask]),
      mockHeaders('unknown-block', { 'x-mock-run': 'r', 'x-mock-faults': faults }),
    );
    const second = await post(
      '/v1/messages',
      request([ask]),
      mockHeaders('unknown-block', { 'x-mock-run': 'r' }),
    );
    expect(first.status).toBe(200);
    expect(second.status).toBe(529);
    await first.text();
    await second.text();
  });

  it('applies the scenario fault for attempt 1 by default', async () => {
    const res = await post(
      '/v1/messages',
      request([ask], { stream: true }),
      mockHeaders('unknown-block'),
    );
    const text = await receivedText(res);
    const events = sseEvents(text);
    expect(events.at(-1)).toMatchObject({ type: 'content_block_start', index: 1 });
    expect(mock.server.requests[0]?.sse?.outcome).toBe('dropped');
  });

  it('rejects an x-mock-faults header that is not a fault map, naming the field', async () => {
    const headers = mockHeaders('citations', { 'x-mock-faults': '{"1":{"kind":"drop"}}' });
    const message = await expectApiError(
      await post('/v1/messages', request([ask]), headers),
      400,
      'invalid_request_error',
    );
    expect(message).toBe(
      'x-mock-faults: 1.afterEvents: give either afterEvents, or event and bytes',
    );
  });
});

describe('continuations over HTTP', () => {
  const long = fixtureScenario('plain-long-text');
  const longText = (long.message.content[0] as unknown as { text: string }).text;
  const seed = fixtureScenario(SEED);
  const seedBlocks = seed.message.content as ContentBlock[];
  const seedHeaders = (extra: Record<string, string> = {}) =>
    mockHeaders(SEED, { 'anthropic-beta': SEED_BETAS, 'x-mock-faults': '{}', ...extra });

  it('answers a prefill on claude-sonnet-4-5 with the rest of the text, in a new message', async () => {
    const partial = longText.slice(0, 500).trimEnd();
    const body = request([ask, { role: 'assistant', content: partial }], { stream: false });
    const res = await post(
      '/v1/messages',
      body,
      mockHeaders('plain-long-text', { 'x-mock-faults': '{}' }),
    );
    const message = (await res.json()) as {
      id: string;
      model: string;
      content: Array<{ text: string }>;
    };
    expect(message.id).not.toBe(long.message.id);
    expect(message.model).toBe('claude-sonnet-4-5');
    expect(partial + message.content[0]!.text).toBe(longText);
    expect(mock.server.requests[0]).toMatchObject({
      kind: 'prefill',
      match: { completeBlocks: 0, partialText: partial },
    });
  });

  it('refuses a prefill on claude-opus-4-6 with the API message', async () => {
    const body = request([ask, { role: 'assistant', content: seedBlocks.slice(0, 3) }]);
    const message = await expectApiError(
      await post('/v1/messages', body, seedHeaders()),
      400,
      'invalid_request_error',
    );
    expect(message).toBe(
      'This model does not support assistant message prefill. The conversation must end with a user message.',
    );
  });

  it('answers a continuation turn with the remaining blocks, keeping the container it names', async () => {
    const container = {
      id: seed.message.container!.id,
      skills: [{ type: 'anthropic', skill_id: 'xlsx', version: 'latest' }],
    };
    const body = request(
      [
        ask,
        { role: 'assistant', content: seedBlocks.slice(0, 38) },
        { role: 'user', content: 'Continue exactly where you stopped.' },
      ],
      {
        model: 'claude-opus-4-6',
        container,
        stream: true,
      },
    );
    const res = await post('/v1/messages', body, seedHeaders());
    const events = sseEvents(await res.text());
    expect(events[0]).toMatchObject({
      type: 'message_start',
      message: { container: { id: container.id } },
    });
    expect(events.find((e) => e.type === 'content_block_start')).toMatchObject({
      index: 0,
      content_block: { type: 'server_tool_use', name: 'text_editor_code_execution' },
    });
    expect(events.at(-1)).toEqual({ type: 'message_stop' });
    expect(mock.server.requests[0]).toMatchObject({
      kind: 'continuation',
      containerReused: true,
      containerSkills: container.skills,
      match: { completeBlocks: 38 },
    });
  });

  it('starts a new container when a continuation does not name the old one', async () => {
    const body = request(
      [
        ask,
        { role: 'assistant', content: seedBlocks.slice(0, 38) },
        { role: 'user', content: 'Continue.' },
      ],
      { model: 'claude-opus-4-6' },
    );
    const res = await post('/v1/messages', body, seedHeaders());
    const message = (await res.json()) as { container: { id: string } };
    expect(message.container.id).not.toBe(seed.message.container!.id);
    expect(mock.server.requests[0]).toMatchObject({
      kind: 'continuation',
      containerReused: false,
      containerId: message.container.id,
    });
  });

  it('rejects a continuation whose partial message breaks the server tool pairing', async () => {
    const body = request([
      ask,
      { role: 'assistant', content: seedBlocks.slice(0, 39) },
      { role: 'user', content: 'Continue.' },
    ]);
    const message = await expectApiError(
      await post('/v1/messages', body, seedHeaders()),
      400,
      'invalid_request_error',
    );
    expect(message).toMatch(
      /^messages\.1: `server_tool_use` ids were found without their result blocks/,
    );
  });

  it.each([
    ['seam-markdown', 'synchronis', 'synchronisation across regions'],
    ['seam-code', '            delay = ra', '```python\n            delay = random.uniform('],
    ['seam-japanese', 'ではなく文字単', 'く文字単位で判定'],
    ['seam-mixed', '| `add', 'Continuing from where I left off:\n\n| `address.title` |'],
  ])(
    'streams %s’s continuation turn with its behaviour, cut where its fault cuts',
    async (name, end, start) => {
      const scenario = fixtureScenario(name);
      const full = (scenario.message.content[0] as unknown as { text: string }).text;
      const partial = full.slice(0, full.indexOf(end) + end.length);
      const body = request(
        [ask, { role: 'assistant', content: partial }, { role: 'user', content: 'Continue.' }],
        { model: 'claude-opus-4-6', stream: true },
      );
      const res = await post('/v1/messages', body, mockHeaders(name, NO_FAULTS));
      const text = sseEvents(await res.text())
        .map((e) => (e.delta as { text?: string } | undefined)?.text ?? '')
        .join('');
      expect(text.startsWith(start)).toBe(true);
      expect(text.endsWith(full.slice(partial.length))).toBe(true);
      expect(mock.server.requests[0]).toMatchObject({
        kind: 'continuation',
        match: { partialText: partial },
      });
    },
  );

  it('applies faults to continuation requests by attempt number', async () => {
    const faults = JSON.stringify({ '2': { kind: 'eof', afterEvents: 3 } });
    const headers = mockHeaders('plain-long-text', { 'x-mock-run': 'c', 'x-mock-faults': faults });
    await (await post('/v1/messages', request([ask], { stream: true }), headers)).text();
    const body = request([ask, { role: 'assistant', content: '# Field notes' }], { stream: true });
    const text = await (await post('/v1/messages', body, headers)).text();
    expect(sseEvents(text)).toHaveLength(3);
    expect(mock.server.requests[1]).toMatchObject({
      attempt: 2,
      kind: 'prefill',
      sse: { outcome: 'eof' },
    });
  });
});

describe('other endpoints', () => {
  it('GET /v1/models lists the scenario models like the API', async () => {
    const res = await fetch(`${mock.url}/v1/models`);
    const body = (await res.json()) as {
      data: Array<{ type: string; id: string }>;
      has_more: boolean;
      first_id: string;
    };
    expect(body.has_more).toBe(false);
    expect(body.data.map((m) => m.id)).toEqual(
      expect.arrayContaining(['claude-opus-4-6', 'claude-sonnet-4-5']),
    );
    expect(body.data.every((m) => m.type === 'model')).toBe(true);
    expect(body.first_id).toBe(body.data[0]?.id);
  });

  it('GET /v1/models/:id returns one model, or 404', async () => {
    expect(await (await fetch(`${mock.url}/v1/models/claude-opus-4-6`)).json()).toMatchObject({
      id: 'claude-opus-4-6',
    });
    await expectApiError(await fetch(`${mock.url}/v1/models/claude-9`), 404, 'not_found_error');
  });

  it('POST /v1/messages/count_tokens returns input_tokens', async () => {
    const res = await post(
      '/v1/messages/count_tokens',
      { model: 'claude-opus-4-6', messages: [ask] },
      mockHeaders('citations'),
    );
    const body = (await res.json()) as { input_tokens: number };
    expect(body.input_tokens).toBeGreaterThan(0);
  });

  it('answers any other path with a 404 API error naming what is served', async () => {
    const message = await expectApiError(
      await fetch(`${mock.url}/v1/complete`, { method: 'POST', body: '{}' }),
      404,
      'not_found_error',
    );
    expect(message).toContain('POST /v1/messages');
  });
});
