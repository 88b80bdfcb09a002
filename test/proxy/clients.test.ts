/**
 * Real clients, unmodified, pointed at the proxy (the ANTHROPIC_BASE_URL way) against the
 * seed-shaped scenario: claude-opus-4-6 with code execution + skills, whose first attempt loses
 * its socket 20 bytes into a text_editor_code_execution input after 38 blocks. Each client's
 * result must equal its own fault-free run of the same scenario, ids and usage aside.
 */
import { execFile } from 'node:child_process';
import { createAnthropic } from '@ai-sdk/anthropic';
import Anthropic from '@anthropic-ai/sdk';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import {
  API_KEY,
  assemble,
  type Fixture,
  mockHeaders,
  requestBody,
  SEED,
  scenario,
  startFixture,
  strip,
} from './support.js';

const PYTHON = '/usr/bin/python3';
const HTTPX_SCRIPT = new URL('./clients/httpx_stream.py', import.meta.url).pathname;
/** An empty fault map replaces the scenario's faults: the fault-free run. */
const NO_FAULTS = {};
const hasHttpx = requireBinary('python3-httpx', { command: PYTHON, args: ['-c', 'import httpx'] });
const hasCurl = requireBinary('curl', { command: 'curl' });

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.close();
});

function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The mock's record of a run's attempts. */
function attemptsOf(runId: string) {
  return fx.mock.requests.filter((r) => r.runId === runId);
}

function expectRecovered(headers: Record<string, string>) {
  const attempts = attemptsOf(headers['x-mock-run'] as string);
  expect(attempts).toHaveLength(2);
  expect(attempts[0]?.fault?.fires).toBe(true);
  expect(attempts[1]?.kind).toBe('continuation');
  expect(attempts[1]?.containerReused).toBe(true);
}

async function httpx(baseUrl: string, headers: Record<string, string>) {
  const result = await run(PYTHON, [
    HTTPX_SCRIPT,
    baseUrl,
    JSON.stringify(headers),
    requestBody(SEED),
  ]);
  return { ...result, json: JSON.parse(result.stdout || '{}') as Record<string, unknown> };
}

describe.runIf(hasHttpx)('Python httpx through the proxy', () => {
  it('fails with RemoteProtocolError when it talks to the faulty upstream directly', async () => {
    const out = await httpx(fx.mock.url, mockHeaders(SEED));
    expect(out.code).toBe(2);
    expect(String(out.json.exception)).toMatch(/RemoteProtocolError/);
  });

  it('completes the seed scenario with the message of a fault-free run', async () => {
    const clean = await httpx(fx.proxy.url, mockHeaders(SEED, NO_FAULTS));
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    const headers = mockHeaders(SEED);
    const faulty = await httpx(fx.proxy.url, headers);
    expect(faulty.code, faulty.stdout + faulty.stderr).toBe(0);
    expect(strip(faulty.json)).toEqual(strip(clean.json));
    expect((faulty.json.content as unknown[]).length).toBe(scenario(SEED).message.content.length);
    expectRecovered(headers);
  });
});

describe('@anthropic-ai/sdk without middleware, baseURL = proxy', () => {
  async function finalMessage(headers: Record<string, string>) {
    const client = new Anthropic({
      apiKey: API_KEY,
      baseURL: fx.proxy.url,
      maxRetries: 0,
      defaultHeaders: headers,
    });
    return client.beta.messages
      .stream({
        model: scenario(SEED).message.model,
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'Build the report.' }],
      })
      .finalMessage();
  }

  it('completes the seed scenario with the message of a fault-free run', async () => {
    const clean = await finalMessage(mockHeaders(SEED, NO_FAULTS));
    const headers = mockHeaders(SEED);
    const faulty = await finalMessage(headers);
    expect(strip(faulty)).toEqual(strip(clean));
    expect(strip(faulty).content).toEqual(strip(scenario(SEED).message).content);
    expectRecovered(headers);
  });
});

describe('Vercel AI SDK, baseURL = proxy', () => {
  async function stream(headers: Record<string, string>) {
    const { 'x-api-key': _key, 'content-type': _ct, ...rest } = headers;
    const anthropic = createAnthropic({
      apiKey: API_KEY,
      baseURL: `${fx.proxy.url}/v1`,
      headers: rest,
    });
    const result = streamText({
      model: anthropic(scenario(SEED).message.model),
      prompt: 'Build the report.',
      maxRetries: 0,
    });
    let text = '';
    const tools: unknown[] = [];
    let error: unknown;
    try {
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') text += part.text;
        if (part.type === 'tool-call') tools.push({ name: part.toolName, input: part.input });
        if (part.type === 'error') error = part.error;
      }
    } catch (err) {
      error = err;
    }
    return { text, tools, error };
  }

  it('completes the seed scenario with the text and tool calls of a fault-free run', async () => {
    const clean = await stream(mockHeaders(SEED, NO_FAULTS));
    const headers = mockHeaders(SEED);
    const faulty = await stream(headers);
    expect(faulty.error).toBeUndefined();
    expect(faulty.text).toBe(clean.text);
    expect(faulty.tools).toEqual(clean.tools);
    expect(faulty.text.length).toBeGreaterThan(1000);
    expectRecovered(headers);
  });
});

describe.runIf(hasCurl)('curl through the proxy', () => {
  async function curl(headers: Record<string, string>) {
    const args = ['-sS', '-N', '--max-time', '30', '-X', 'POST', `${fx.proxy.url}/v1/messages`];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
    args.push('--data-binary', '@-');
    return run('curl', args, requestBody(SEED));
  }

  it('completes the seed scenario with the message of a fault-free run', async () => {
    const clean = await curl(mockHeaders(SEED, NO_FAULTS));
    expect(clean.code, clean.stderr).toBe(0);
    const headers = mockHeaders(SEED);
    const faulty = await curl(headers);
    expect(faulty.code, faulty.stderr).toBe(0);
    const a = assemble(faulty.stdout);
    const b = assemble(clean.stdout);
    expect(a.message).toBeDefined();
    expect(strip(a.message)).toEqual(strip(b.message));
    expect(a.comments.some((c) => c.startsWith('lifeline resuming'))).toBe(true);
    expectRecovered(headers);
  });
});
