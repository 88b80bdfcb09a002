/**
 * `lifeline verify --cut`: lifeline cuts each run's stream itself, resumes, and audits every
 * seam. Against the mock (in-process, real HTTP) with each continuation behaviour it has, and
 * against a small upstream whose continuation restates text no seam rule may trim.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult, VerifyRun } from '../../../src/diagnose/index.js';
import {
  encodeMessageEvents,
  type MockServer,
  renderMessage,
  startMock,
} from '../../../src/mock/index.js';
import type { StreamMessage } from '../../../src/protocol/index.js';
import { cli } from '../../helpers/cli.js';
import { fixtureScenario, SCENARIOS_DIR } from '../../helpers/mock.js';

const SECRET = 'sk-ant-verify-cut-secret';

let dir: string;
let mock: MockServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-verify-cut-'));
  mock = await startMock({ scenarios: SCENARIOS_DIR });
});

afterAll(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

function parse(out: string): VerifyResult {
  return JSON.parse(out) as VerifyResult;
}

function scenarioText(name: string): string {
  return fixtureScenario(name)
    .message.content.map((b) => (b.type === 'text' ? (b as { text: string }).text : undefined))
    .filter((t) => t !== undefined)
    .join('\n');
}

/** Every run was cut inside text, resumed once, and has one clean seam. */
function expectCleanSeams(result: VerifyResult): void {
  for (const run of result.runs) {
    expect(run.pass, run.reason).toBe(true);
    expect(run.cut).toMatchObject({ cut: true, attempt: 1, where: 'text' });
    expect(run.attempts).toBe(2);
    expect(run.failures).toEqual(['socket']);
    expect(run.seams).toHaveLength(1);
    expect(run.seams![0]!.flags).toEqual([]);
    expect(run.suspicious).toBe(false);
    expect(run.text?.completed).toBe(true);
  }
  expect(result.audit?.suspicious).toBe(0);
}

describe('verify --cut on the mock, each continuation behaviour', () => {
  it('cuts after event N, resumes, and finds the seam clean (prefill model)', async () => {
    const { code, out, err } = await cli([
      'verify',
      '--scenario',
      'plain-long-text',
      '--cut',
      '30',
      '--runs',
      '2',
      '--json',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const result = parse(out);
    expectCleanSeams(result);
    expect(result.audit).toEqual({
      cut: 30,
      seam: 'auto',
      cutRuns: 2,
      seams: 2,
      suspicious: 0,
    });
    const text = scenarioText('plain-long-text');
    const scenario = fixtureScenario('plain-long-text');
    // The text of the deltas among events 1-30 (message_start, ping, content_block_start...).
    const partial = renderMessage(scenario.message, scenario.chunking)
      .slice(0, 30)
      .map((e) => (e as { delta?: { text?: string } }).delta?.text ?? '')
      .join('');
    expect(partial.length).toBeGreaterThan(100);
    for (const run of result.runs) {
      expect(run.cut?.event).toBe(30);
      expect(run.cut?.partialChars).toBe(partial.length);
      expect(run.text?.chars).toBe(text.length);
      const seam = run.seams![0]!;
      expect(seam.blockIndex).toBe(0);
      expect(seam.offset).toBe(partial.trimEnd().length);
      // The context shown is the final text on each side of the seam.
      expect(text.slice(0, seam.offset).endsWith(seam.before)).toBe(true);
      expect(text.slice(seam.offset).startsWith(seam.after)).toBe(true);
      expect(Array.from(seam.before).length).toBeLessThanOrEqual(60);
      expect(Array.from(seam.after)).toHaveLength(60);
    }
  });

  it('restating continuation (restate 3): random seeded cuts, every seam clean', async () => {
    const args = ['verify', '--scenario', 'seam-restate', '--cut', 'random', '--seed', '11'];
    const { code, out } = await cli([...args, '--runs', '4', '--json']);
    expect(code).toBe(0);
    const result = parse(out);
    expectCleanSeams(result);
    expect(result.audit).toMatchObject({ cut: 'random', seed: 11, cutRuns: 4, seams: 4 });
    const events = result.runs.map((r) => r.cut!.event!);
    // Each run cuts anew; the seed makes the choice reproducible.
    expect(new Set(events).size).toBeGreaterThan(1);
    for (const run of result.runs) {
      expect(run.cut!.candidates).toBeGreaterThan(100);
      expect(run.cut!.events).toBeGreaterThan(run.cut!.event!);
      expect(run.strategies).toEqual(['continue']);
    }
    const again = parse((await cli([...args, '--runs', '4', '--json'])).out);
    expect(again.runs.map((r) => r.cut!.event)).toEqual(events);
  });

  it('continuation opening with its own thinking block: the seam is audited across it', async () => {
    // A cut mid-word: the text delta ends with a letter and the next one starts with one.
    const scenario = fixtureScenario('continuation-thinking');
    const events = renderMessage(scenario.message, scenario.chunking);
    const text = (i: number) => (events[i] as { delta?: { text?: string } }).delta?.text ?? '';
    let i = 40;
    while (!(/\p{L}$/u.test(text(i)) && /^\p{L}/u.test(text(i + 1)))) i++;
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'continuation-thinking',
      '--cut',
      String(i + 1),
      '--runs',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = parse(out);
    expectCleanSeams(result);
    for (const run of result.runs) {
      const seam = run.seams![0]!;
      // The continued text is a new block after the thinking block; it is the right side.
      expect(seam.before.endsWith(text(i).slice(-3))).toBe(true);
      expect(seam.after.startsWith(text(i + 1))).toBe(true);
    }
  });

  it.each([
    ['seam-restate', 7],
    ['continuation-thinking', 1],
  ])(
    '%s: a seam is flagged exactly when the message differs from the scenario',
    async (name, seed) => {
      // The scenario is the ground truth: over many random cuts, the audit must agree with it.
      // (A cut right after a space, where the continuation opens with thinking, leaves a doubled
      // space with the engine of this commit: those runs fail and are flagged.)
      const { out } = await cli([
        'verify',
        '--scenario',
        name,
        '--cut',
        'random',
        '--seed',
        String(seed),
        '--runs',
        '12',
        '--json',
      ]);
      const result = parse(out);
      expect(result.audit?.cutRuns).toBe(12);
      for (const run of result.runs) {
        expect({ run: run.run, flagged: run.suspicious }).toEqual({
          run: run.run,
          flagged: !run.pass,
        });
      }
    },
  );

  it('prints each seam with its context around a marker, the final text and the verdict', async () => {
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'seam-restate',
      '--cut',
      'random',
      '--seed',
      '5',
      '--runs',
      '2',
      '--instruction-tail',
      '40',
    ]);
    expect(code).toBe(0);
    expect(out).toContain(
      'seam audit: lifeline cuts each run (random, seed 5); seam auto, instruction tail 40',
    );
    expect(out).toMatch(
      /cut: after event \d+ of attempt 1 \(chosen among \d+ text deltas\), inside text block 0 \(\d+ chars delivered\)/,
    );
    expect(out).toMatch(/seam 1: block 0 at char \d+ \(attempt 2\): /);
    expect(out).toMatch(/ {4}"[^"\n]{1,60}‖[^"\n]{60}"\n/);
    expect(out).toContain('flags: none');
    expect(out).toContain(
      `text: ${scenarioText('seam-restate').length} chars, completed (end_turn)`,
    );
    expect(out).toContain('Seams: 2 in 2 cut runs; 0 suspicious.');
    expect(out).not.toContain('SUSPICIOUS');
  });

  it('--request to a mock upstream: its scripted faults are off, lifeline cuts, the key stays secret', async () => {
    mock.reset();
    const file = join(dir, 'restate.json');
    writeFileSync(
      file,
      JSON.stringify({
        model: 'claude-opus-4-6',
        max_tokens: 4000,
        messages: [{ role: 'user', content: 'Write about resumable streams.' }],
      }),
    );
    const { code, out, err } = await cli(
      [
        'verify',
        '--request',
        file,
        '--upstream',
        mock.url,
        '-H',
        'x-mock-scenario: seam-restate',
        '--cut',
        'random',
        '--runs',
        '2',
      ],
      { env: { ANTHROPIC_API_KEY: SECRET } },
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/run 1\/2: pass, recovered \(socket -> continue\), 2 attempts/);
    expect(out).toContain('Seams: 2 in 2 cut runs; 0 suspicious.');
    expect(out).not.toContain(SECRET);
    // Two requests a run: the cut attempt and its continuation (no drop of the mock's own).
    expect(mock.requests).toHaveLength(4);
  });
});

describe('verify --cut where there is no text seam', () => {
  it('says so when the cut falls inside a tool input', async () => {
    const scenario = fixtureScenario('client-tool-large-input');
    const events = renderMessage(scenario.message, scenario.chunking);
    const inInput = events.findIndex(
      (e) => (e as { delta?: { type?: string } }).delta?.type === 'input_json_delta',
    );
    const n = inInput + 3; // a few input deltas in (event numbers are 1-based)
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'client-tool-large-input',
      '--cut',
      String(n),
      '--runs',
      '1',
      '--json',
    ]);
    expect(code).toBe(0);
    const run = parse(out).runs[0] as VerifyRun;
    expect(run.pass).toBe(true);
    expect(run.cut).toMatchObject({
      cut: true,
      event: n,
      where: 'tool-input',
      blockIndex: 1,
      blockType: 'tool_use',
    });
    expect(run.seams).toEqual([]);
    const text = (
      await cli([
        'verify',
        '--scenario',
        'client-tool-large-input',
        '--cut',
        String(n),
        '--runs',
        '1',
      ])
    ).out;
    expect(text).toContain(
      `cut: after event ${n} of attempt 1, inside the input of tool_use block 1: no text seam there`,
    );
    expect(text).toContain('seams: none in the final text');
  });

  it('says so when the stream ends before the cut point', async () => {
    const { code, out } = await cli([
      'verify',
      '--scenario',
      'plain-long-text',
      '--cut',
      '100000',
      '--runs',
      '1',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/run 1\/1: pass, clean, 1 attempt/);
    expect(out).toMatch(
      /cut: none: the stream had \d+ events, so there was nothing to cut after event 100000/,
    );
  });
});

/**
 * An upstream whose continuation turn restates three words from further back than the tail
 * ("...A B C D E" + " A B C rest"): not a restatement of the end, so no seam rule may trim it;
 * the joined text really has the phrase twice, and the audit must say so.
 */
const WORDS =
  'incremental synchronisation requires deliberate coordination between replicated storage engines, careful bookkeeping of acknowledged writes, and patient reconciliation whenever partitions heal again afterwards';
const FULL = Array.from({ length: 6 }, () => WORDS).join('. ');

function message(text: string): StreamMessage {
  return {
    id: 'msg_01VerifyCutRestate0000',
    type: 'message',
    role: 'assistant',
    model: 'claude-opus-4-6',
    content: [{ type: 'text', text, citations: null }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 300 },
  } as unknown as StreamMessage;
}

async function restatingUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as {
        messages: { role: string; content: string | { type: string; text?: string }[] }[];
      };
      const previous = body.messages.at(-2);
      let text = FULL;
      if (previous?.role === 'assistant') {
        const content = previous.content;
        const partial =
          typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');
        const words = partial.split(' ');
        text = ` ${words.slice(-6, -3).join(' ')}${FULL.slice(partial.length)}`;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of encodeMessageEvents(message(text), { text: 8 })) res.write(event);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('verify --cut flags a bad seam', () => {
  it('the naive seam (--seam append) on a restating mock: the restatement is flagged, exit 1', async () => {
    const args = ['verify', '--scenario', 'seam-restate', '--cut', 'random', '--seed', '2'];
    const naive = await cli([...args, '--runs', '3', '--seam', 'append', '--json']);
    expect(naive.code).toBe(1);
    const result = parse(naive.out);
    expect(result.audit).toMatchObject({ seam: 'append', cutRuns: 3, seams: 3, suspicious: 3 });
    for (const run of result.runs) {
      expect(run.pass).toBe(false); // the scenario's text has the words once
      expect(run.seams![0]!.rule).toBe('append');
      expect(run.seams![0]!.flags.map((f) => f.kind)).toContain('repeat');
    }
    // The same cuts with the real seam: trimmed, clean.
    const auto = await cli([...args, '--runs', '3', '--json']);
    expect(auto.code).toBe(0);
    const clean = parse(auto.out);
    expect(clean.runs.map((r) => r.cut?.event)).toEqual(result.runs.map((r) => r.cut?.event));
    for (const run of clean.runs) {
      expect(run.seams![0]!.trimmed).toBeGreaterThan(0);
      expect(run.seams![0]!.flags).toEqual([]);
    }
  });

  it('a continuation that restates from further back: repeat flagged, exit 1', async () => {
    const { server, url } = await restatingUpstream();
    try {
      const file = join(dir, 'further-back.json');
      writeFileSync(
        file,
        JSON.stringify({
          model: 'claude-opus-4-6',
          max_tokens: 4000,
          messages: [{ role: 'user', content: 'Explain replication.' }],
        }),
      );
      // Event 40: 37 text deltas of 8 characters in, inside the second sentence.
      const args = ['verify', '--request', file, '--upstream', url, '--cut', '40', '--runs', '1'];
      const { code, out } = await cli([...args, '--json']);
      expect(code).toBe(1);
      const result = parse(out);
      const run = result.runs[0]!;
      expect(run.pass).toBe(true); // it completed: only the audit finds the fault
      expect(run.suspicious).toBe(true);
      expect(run.seams![0]!.flags.map((f) => f.kind)).toContain('repeat');
      expect(result.audit?.suspicious).toBe(1);
      const text = await cli(args);
      expect(text.code).toBe(1);
      expect(text.out).toMatch(/SUSPICIOUS repeat: ".+" both before and after the seam/);
      expect(text.out).toContain('SUSPICIOUS: 1 of 1 seam flagged; read them above.');
    } finally {
      server.close();
    }
  });
});

describe('verify --cut, bad input', () => {
  async function expectBadInput(args: string[], pattern: RegExp): Promise<void> {
    const { code, out, err } = await cli(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(pattern);
  }

  it('rejects a bad --cut, --seed, --seam and --instruction-tail', async () => {
    const base = ['verify', '--scenario', 'plain-long-text'];
    await expectBadInput(
      [...base, '--cut', 'middle'],
      /--cut takes an event number .* or "random"/,
    );
    await expectBadInput([...base, '--cut', '0'], /--cut must be a whole number of at least 1/);
    await expectBadInput([...base, '--cut', '12', '--seed', '3'], /--seed goes with --cut random/);
    await expectBadInput(
      [...base, '--cut', 'random', '--seed', '-1'],
      /--seed must be a whole number from 0 to 4294967295/,
    );
    await expectBadInput([...base, '--seam', 'smart'], /--seam is auto or append/);
    await expectBadInput(
      [...base, '--instruction-tail', 'lots'],
      /--instruction-tail must be a whole number/,
    );
  });

  it('documents the audit in --help', async () => {
    const { out } = await cli(['verify', '--help']);
    for (const text of [
      '--cut <n|random>',
      '--seed <n>',
      '--seam <auto|append>',
      '--instruction-tail <chars>',
      'repeat',
      'glued',
      'fence',
      'ANTHROPIC_API_KEY=... lifeline verify --request body.json --cut random --runs 5',
      'lifeline mock --port 8765 &',
    ]) {
      expect(out).toContain(text);
    }
  });
});
