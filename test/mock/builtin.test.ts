import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtinScenarioFiles,
  SEED_COMPLETE_BLOCKS,
  SEED_PARTIAL_JSON_BYTES,
} from '../../src/mock/builtin/index.js';
import { encodeMessageEvents, type Fault, renderMessage } from '../../src/mock/index.js';
import { fixtureScenario, SCENARIOS_DIR, SEED } from '../helpers/mock.js';

type Json = Record<string, unknown>;

describe('shipped scenario files', () => {
  const files = builtinScenarioFiles();

  it.each(files.map((f) => [f.name, f] as const))(
    '%s.json matches its builder (regenerate with generate.ts)',
    (name, built) => {
      const onDisk = JSON.parse(
        readFileSync(join(SCENARIOS_DIR, `${name}.json`), 'utf8'),
      ) as unknown;
      expect(onDisk).toEqual(JSON.parse(JSON.stringify(built)));
    },
  );

  it('include every scenario the design names', () => {
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'plain-long-text',
        'citations',
        'client-tool-large-input',
        'parallel-tools',
        'server-tool-loop',
        'thinking-text',
        'unknown-block',
        'seam-markdown',
        'seam-code',
        'seam-japanese',
        'seam-chinese',
        'seam-mixed',
        SEED,
      ]),
    );
  });
});

describe('plain-long-text', () => {
  const s = fixtureScenario('plain-long-text');
  const text = (s.message.content[0] as unknown as { text: string }).text;

  it('is ~3,000 words on claude-sonnet-4-5, with 2-, 3- and 4-byte characters', () => {
    expect(s.message.model).toBe('claude-sonnet-4-5');
    const words = text.split(/\s+/u).filter(Boolean).length;
    expect(words).toBeGreaterThan(2900);
    expect(words).toBeLessThan(3300);
    expect(text).toMatch(/é/u);
    expect(text).toMatch(/東京|データ/u);
    expect(text).toMatch(/🚀/u);
  });

  it('drops attempt 1 inside the UTF-8 bytes of an emoji', () => {
    const fault = s.faults['1'] as Extract<Fault, { kind: 'drop' }>;
    const event = encodeMessageEvents(s.message, s.chunking)[fault.event!]!;
    const head = event.subarray(0, fault.bytes);
    // The head ends in the middle of a 4-byte sequence: its last bytes are F0 9F.
    expect([...head.subarray(-2)]).toEqual([0xf0, 0x9f]);
  });
});

describe('client-tool-large-input', () => {
  it('has a ~100 KB tool_use input and stop_reason tool_use', () => {
    const s = fixtureScenario('client-tool-large-input');
    const tool = s.message.content[1] as unknown as Json;
    expect(tool.type).toBe('tool_use');
    expect(Buffer.byteLength(JSON.stringify(tool.input))).toBeGreaterThan(100 * 1024);
    expect(s.message.stop_reason).toBe('tool_use');
  });
});

describe(SEED, () => {
  const s = fixtureScenario(SEED);
  const content = s.message.content as unknown as Json[];
  const events = renderMessage(s.message, s.chunking) as unknown as Json[];
  const fault = s.faults['1'] as Extract<Fault, { kind: 'drop' }>;

  it('is claude-opus-4-6 with the code-execution and skills betas and a container with skills', () => {
    expect(s.message.model).toBe('claude-opus-4-6');
    expect(s.betas).toEqual(['code-execution-2025-08-25', 'skills-2025-10-02']);
    expect(s.message.container?.id).toMatch(/^container_/);
    expect(s.message.container?.skills?.length).toBeGreaterThan(0);
  });

  it('has an early text_editor_code_execution create of about 42 KB', () => {
    const create = content[1]!;
    expect(create).toMatchObject({
      type: 'server_tool_use',
      name: 'text_editor_code_execution',
      input: { command: 'create' },
    });
    const size = Buffer.byteLength(JSON.stringify(create.input));
    expect(size / 1024).toBeGreaterThan(41.5);
    expect(size / 1024).toBeLessThan(42.5);
  });

  it('has block 38 as a text_editor_code_execution create, preceded by a loop of tool uses and results', () => {
    expect(content[SEED_COMPLETE_BLOCKS]).toMatchObject({
      type: 'server_tool_use',
      name: 'text_editor_code_execution',
    });
    const names = content.slice(0, SEED_COMPLETE_BLOCKS).map((b) => String(b.name ?? b.type));
    expect(names).toContain('bash_code_execution');
    expect(names).toContain('bash_code_execution_tool_result');
    expect(names).toContain('text_editor_code_execution_tool_result');
    expect(content.at(-1)).toMatchObject({ type: 'text' });
    expect(s.message.stop_reason).toBe('end_turn');
  });

  it('delivers exactly 38 complete blocks and 20 bytes of block 38 input before the cut', () => {
    const whole = events.slice(0, fault.event);
    const stops = whole.filter((e) => e.type === 'content_block_stop').map((e) => e.index);
    expect(stops).toEqual(Array.from({ length: SEED_COMPLETE_BLOCKS }, (_, i) => i));
    const partial = whole
      .filter((e) => e.type === 'content_block_delta' && e.index === SEED_COMPLETE_BLOCKS)
      .map((e) => (e.delta as { partial_json: string }).partial_json)
      .join('');
    expect(Buffer.byteLength(partial)).toBe(SEED_PARTIAL_JSON_BYTES);
  });

  it('cuts attempt 1 in the middle of the next input_json_delta of block 38', () => {
    const cut = events[fault.event!]!;
    expect(cut).toMatchObject({
      type: 'content_block_delta',
      index: SEED_COMPLETE_BLOCKS,
      delta: { type: 'input_json_delta' },
    });
    const length = encodeMessageEvents(s.message, s.chunking)[fault.event!]!.length;
    expect(fault.bytes).toBeGreaterThan(0);
    expect(fault.bytes).toBeLessThan(length);
    expect(s.eventsPerWrite).toBe(1);
  });
});

describe('seam scenarios', () => {
  /** The partial text attempt 1 carries when its fault fires, as the engine sends it. */
  function cut(name: string) {
    const s = fixtureScenario(name);
    const fault = s.faults['1'] as Extract<Fault, { kind: 'drop' }>;
    const events = renderMessage(s.message, s.chunking).slice(0, fault.afterEvents);
    const received = events
      .map((e) => ((e as Json).delta as Json | undefined)?.text ?? '')
      .join('');
    const text = (s.message.content[0] as unknown as { text: string }).text;
    const partial = String(received).trimEnd();
    return { s, text, partial, rest: text.slice(partial.length) };
  }

  it.each([
    ['seam-markdown', 5],
    ['seam-code', 6],
    ['seam-japanese', 3],
    ['seam-chinese', 4],
    ['seam-mixed', 7],
  ])('%s is claude-opus-4-6 text in %i-code-point deltas', (name, size) => {
    const { s } = cut(name);
    expect(s.message.model).toBe('claude-opus-4-6');
    expect(s.chunking.text).toBe(size);
    expect(s.message.content.map((b) => b.type)).toEqual(['text']);
  });

  it('seam-markdown has headings, lists, a table and inline code, and is cut inside a word', () => {
    const { s, text, partial, rest } = cut('seam-markdown');
    for (const structure of [/^## /mu, /^- /mu, /^1\. /mu, /^\| Step \|/mu, /`\w+`/u])
      expect(text).toMatch(structure);
    expect(s.restartWord).toBe(true);
    expect(partial).toMatch(/incremental synch\w*$/u);
    expect(rest).toMatch(/^\w+ation across/u);
  });

  it('seam-code has indented Python and TypeScript fences and a ~~~ block, and is cut inside one', () => {
    const { s, text, partial } = cut('seam-code');
    expect(text).toContain('```python\n');
    expect(text).toContain('```typescript\n');
    expect(text).toContain('~~~sh\n');
    expect(text).toMatch(/^ {12}\S/mu);
    expect(s.reopenFence).toBe('tag');
    expect(partial).toMatch(/```python\n[^`]*\n {12}delay = \w+$/u);
  });

  it('seam-japanese and seam-chinese have no spaces between words; seam-chinese has Thai', () => {
    const ja = cut('seam-japanese');
    const zh = cut('seam-chinese');
    expect(ja.text).toMatch(/\p{sc=Hiragana}{3}/u);
    expect(zh.text).toMatch(/\p{sc=Han}{8}/u);
    expect(zh.text).toMatch(/\p{sc=Thai}{20}/u);
    expect(ja.s.restateChars).toBe(4);
    expect(zh.s.restateChars).toBe(4);
    expect(ja.partial).toMatch(/\p{sc=Han}$/u);
    expect(zh.partial).toMatch(/\p{sc=Thai}$/u);
  });

  it('seam-mixed mixes scripts, emoji, a decomposed accent, a table and code, and is cut in a row', () => {
    const { s, text, partial } = cut('seam-mixed');
    for (const piece of [
      '日本語',
      '简体中文',
      'ภาษาไทย',
      '👩\u200d💻',
      '🇯🇵',
      'e\u0301',
      '```ts\n',
      '| Key |',
    ])
      expect(text).toContain(piece);
    expect(s.preamble).toBe('Continuing from where I left off:');
    expect(partial).toMatch(/\n\| `add$/u);
  });
});
