/**
 * Built-in scenarios, one per shape of message the resume engine must handle: long text,
 * citations, a large client tool input, parallel tool calls, a server-tool loop in a container,
 * thinking, an unknown future block, and the continuation-turn variants (restated words, an
 * opening thinking block). Each one's attempt-1 fault lands where that shape is fragile.
 */
import type { ScenarioFile } from '../scenario.js';
import {
  buildMessage,
  deltaOf,
  dropInside,
  findEvent,
  isDelta,
  renderStream,
  scenarioFile,
} from './build.js';
import { fixtureId, pick, prose, rng, sentence } from './prose.js';

const EXPIRES_AT = '2025-11-20T10:35:12.482931Z';

/** ~3,000 words of text with multi-byte characters; dropped inside a 4-byte emoji. */
export function plainLongText(): ScenarioFile {
  const next = rng(101);
  const text = `# Field notes on resumable streams 🚀\n\n${prose(next, 3000, { headings: true })}`;
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text }],
    stopReason: 'end_turn',
    inputTokens: 1843,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  // Cut inside the UTF-8 bytes of an emoji, a little under half way: the decoder must not
  // turn the half code point into U+FFFD, and the seam must not split it either.
  const emoji = Buffer.from('🚀');
  const event = findEvent(
    stream,
    (e) => isDelta(0, 'text_delta')(e) && String(deltaOf(e)?.text).includes('🚀'),
    Math.floor(stream.events.length * 0.4),
  );
  const bytes = stream.encoded[event]!.indexOf(emoji) + 2;
  return scenarioFile({
    name: 'plain-long-text',
    description:
      'claude-sonnet-4-5 (prefill allowed) writes ~3,000 words in one text block, with 2-, 3- and 4-byte characters. Attempt 1 is dropped 2 bytes into a 4-byte emoji in a text_delta, about 40% in.',
    message,
    chunking,
    faults: { '1': { kind: 'drop', event, bytes } },
  });
}

/** Text blocks with citations; dropped after a cited block's text, before its citations. */
export function citations(): ScenarioFile {
  const next = rng(202);
  const charCitation = {
    type: 'char_location',
    cited_text:
      'The migration to the new storage engine finished on 14 March, two days ahead of plan.',
    document_index: 0,
    document_title: 'Storage migration — status report',
    start_char_index: 112,
    end_char_index: 198,
    file_id: null,
  };
  const pageCitation = {
    type: 'page_location',
    cited_text:
      'Rollback was rehearsed three times in staging; each rehearsal restored service in under 4 minutes.',
    document_index: 1,
    document_title: 'Runbook: rollback (v3)',
    start_page_number: 7,
    end_page_number: 8,
    file_id: null,
  };
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      {
        type: 'text',
        text: 'Based on the two documents you shared, here is where the migration stands.\n\n',
      },
      {
        type: 'text',
        text: 'The migration to the new storage engine is finished: it completed on 14 March, two days ahead of plan',
        citations: [charCitation],
      },
      { type: 'text', text: '. It is also reversible: ' },
      {
        type: 'text',
        text: 'the rollback was rehearsed three times in staging, and every rehearsal restored service in under four minutes',
        citations: [
          pageCitation,
          { ...charCitation, cited_text: 'two days ahead of plan', start_char_index: 176 },
        ],
      },
      { type: 'text', text: `.\n\n${prose(next, 80)}` },
    ],
    stopReason: 'end_turn',
    inputTokens: 6120,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  const firstCitation = findEvent(stream, isDelta(3, 'citations_delta'));
  return scenarioFile({
    name: 'citations',
    description:
      'Text blocks with char_location and page_location citations (citations_delta after the text). Attempt 1 is dropped after the text of block 3, before its citations arrive.',
    message,
    chunking,
    faults: { '1': { kind: 'drop', afterEvents: firstCitation } },
  });
}

function typescriptModule(next: ReturnType<typeof rng>, targetBytes: number): string {
  const lines = [
    '// Generated catalogue — do not edit by hand. Données générées; 生成されたファイル.',
    '',
  ];
  let i = 0;
  while (Buffer.byteLength(lines.join('\n')) < targetBytes) {
    const name = `${pick(next, ['parse', 'render', 'resume', 'measure', 'encode', 'verify'])}${pick(next, ['Stream', 'Block', 'Delta', 'Chunk', 'Seam'])}${i}`;
    lines.push(
      `/** ${sentence(next, 10)} */`,
      `export function ${name}(input: readonly string[], limit = ${10 + (i % 90)}): string[] {`,
      '  const out: string[] = [];',
      '  for (const item of input) {',
      `    if (out.length >= limit) break;`,
      `    out.push(item.trim() + ${JSON.stringify(pick(next, [' ✓', ' →', ' …', ' ok', ' ü']))});`,
      '  }',
      '  return out;',
      '}',
      '',
    );
    i++;
  }
  return lines.join('\n');
}

/** A client tool_use whose input is ~100 KB; dropped in the middle of it. */
export function clientToolLargeInput(): ScenarioFile {
  const next = rng(303);
  const content = typescriptModule(next, 100 * 1024);
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'text', text: "I'll write the complete catalogue module to disk in one go." },
      {
        type: 'tool_use',
        id: fixtureId(next, 'toolu_01'),
        name: 'write_file',
        input: { path: 'src/generated/catalog.ts', content },
      },
    ],
    stopReason: 'tool_use',
    inputTokens: 2210,
  });
  const chunking = { text: 8, json: 64 };
  const stream = renderStream(message, chunking);
  const first = findEvent(stream, isDelta(1, 'input_json_delta'));
  const last = findEvent(stream, (e) => e.type === 'content_block_stop' && e.index === 1) - 1;
  return scenarioFile({
    name: 'client-tool-large-input',
    description:
      'A client tool_use (write_file) with a ~100 KB input, stop_reason tool_use. Attempt 1 is dropped in the middle of the input, inside an input_json_delta.',
    message,
    chunking,
    faults: { '1': dropInside(stream, Math.floor((first + last) / 2)) },
  });
}

/** Three client tool calls in one message; dropped inside the third one's input. */
export function parallelTools(): ScenarioFile {
  const next = rng(404);
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      {
        type: 'text',
        text: "I'll look up the weather in both cities and the local time in Tōkyō at once.",
      },
      {
        type: 'tool_use',
        id: fixtureId(next, 'toolu_01'),
        name: 'get_weather',
        input: { location: 'Paris, France', unit: 'celsius' },
      },
      {
        type: 'tool_use',
        id: fixtureId(next, 'toolu_01'),
        name: 'get_weather',
        input: { location: 'Tōkyō, Japan', unit: 'celsius' },
      },
      {
        type: 'tool_use',
        id: fixtureId(next, 'toolu_01'),
        name: 'get_time',
        input: { timezone: 'Asia/Tokyo', format: 'HH:mm' },
      },
    ],
    stopReason: 'tool_use',
    inputTokens: 980,
  });
  const chunking = { text: 8, json: 16 };
  const stream = renderStream(message, chunking);
  const first = findEvent(stream, isDelta(3, 'input_json_delta'));
  return scenarioFile({
    name: 'parallel-tools',
    description:
      'Text then three client tool_use blocks (parallel tool calls), stop_reason tool_use. Attempt 1 is dropped inside the second input_json_delta of the third tool, after two complete tool uses.',
    message,
    chunking,
    faults: { '1': dropInside(stream, first + 1, 9) },
  });
}

/** Code execution in a container: bash and text-editor tool uses with their results. */
export function serverToolLoop(): ScenarioFile {
  const next = rng(505);
  const ids = Array.from({ length: 3 }, () => fixtureId(next, 'srvtoolu_01'));
  const script = [
    'import csv, statistics',
    "rows = list(csv.DictReader(open('/tmp/inputs/latency.csv')))",
    "values = [float(r['ms']) for r in rows]",
    "print(f'n={len(values)} p50={statistics.median(values):.1f} max={max(values):.1f}')",
  ].join('\n');
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'text', text: 'Let me look at what is in the container first.' },
      {
        type: 'server_tool_use',
        id: ids[0],
        name: 'bash_code_execution',
        input: { command: 'ls -la /tmp/inputs' },
      },
      {
        type: 'bash_code_execution_tool_result',
        tool_use_id: ids[0],
        content: {
          type: 'bash_code_execution_result',
          stdout: 'total 12\n-rw-r--r-- 1 user user 4096 Nov 13 10:01 latency.csv\n',
          stderr: '',
          return_code: 0,
          content: [],
        },
      },
      {
        type: 'text',
        text: 'There is one CSV file. I’ll check its header before computing anything.',
      },
      {
        type: 'server_tool_use',
        id: ids[1],
        name: 'text_editor_code_execution',
        input: { command: 'view', path: '/tmp/inputs/latency.csv', view_range: [1, 4] },
      },
      {
        type: 'text_editor_code_execution_tool_result',
        tool_use_id: ids[1],
        content: {
          type: 'text_editor_code_execution_view_result',
          file_type: 'text',
          content:
            'ts,route,ms\n2025-11-13T10:00:00Z,/v1/messages,812.5\n2025-11-13T10:00:01Z,/v1/messages,790.0\n',
          num_lines: 3,
          start_line: 1,
          total_lines: 1201,
        },
      },
      { type: 'text', text: 'Now the summary statistics.' },
      {
        type: 'server_tool_use',
        id: ids[2],
        name: 'bash_code_execution',
        input: { command: `python3 - <<'EOF'\n${script}\nEOF` },
      },
      {
        type: 'bash_code_execution_tool_result',
        tool_use_id: ids[2],
        content: {
          type: 'bash_code_execution_result',
          stdout: 'n=1200 p50=804.2 max=2931.7\n',
          stderr: '',
          return_code: 0,
          content: [],
        },
      },
      {
        type: 'text',
        text: 'The median latency is 804 ms over 1,200 requests, and the worst one took 2.9 s — about 3.6× the median.',
      },
    ],
    stopReason: 'end_turn',
    inputTokens: 4410,
    container: { id: fixtureId(next, 'container_011CV', 18), expires_at: EXPIRES_AT, skills: null },
  });
  const chunking = { text: 8, json: 24 };
  const stream = renderStream(message, chunking);
  const first = findEvent(stream, isDelta(7, 'input_json_delta'));
  return scenarioFile({
    name: 'server-tool-loop',
    description:
      'Code execution (bash_code_execution, text_editor_code_execution) in a container, each server_tool_use followed by its result. Attempt 1 is dropped inside the input of the third server tool use; a continuation must name the container.',
    message,
    chunking,
    betas: ['code-execution-2025-08-25'],
    requireBetas: true,
    faults: { '1': dropInside(stream, first + 3) },
  });
}

/** A signed thinking block, then text; dropped in the text. */
export function thinkingText(): ScenarioFile {
  const next = rng(606);
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      {
        type: 'thinking',
        thinking: prose(next, 350, { multibyte: false }),
        signature: `Eq${fixtureId(next, '', 300)}==`,
      },
      { type: 'text', text: prose(next, 450) },
    ],
    stopReason: 'end_turn',
    inputTokens: 1320,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  const first = findEvent(stream, isDelta(1, 'text_delta'));
  return scenarioFile({
    name: 'thinking-text',
    description:
      'Extended thinking (thinking_delta, then signature_delta), then a text block. Attempt 1 is dropped about a third of the way into the text, after the signed thinking block completed.',
    message,
    chunking,
    faults: { '1': { kind: 'drop', afterEvents: first + 120 } },
  });
}

/** A block type no SDK knows yet, between two text blocks; dropped inside it. */
export function unknownBlock(): ScenarioFile {
  const next = rng(707);
  const message = buildMessage(next, {
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'text', text: 'Here is the diagram you asked for, followed by a short explanation.' },
      {
        type: 'holographic_diagram',
        id: fixtureId(next, 'holo_01'),
        format: 'svg+layers',
        layers: [
          { name: 'network', nodes: 12, edges: 19 },
          { name: 'storage', nodes: 4, edges: 3 },
        ],
        caption: 'Request path: client → proxy → upstream (東京 region)',
      },
      { type: 'text', text: prose(next, 200) },
    ],
    stopReason: 'end_turn',
    inputTokens: 730,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  const stopOfUnknown = findEvent(stream, (e) => e.type === 'content_block_stop' && e.index === 1);
  return scenarioFile({
    name: 'unknown-block',
    description:
      'A future block type (holographic_diagram) that arrives whole in content_block_start, between two text blocks. Attempt 1 is dropped after its start and before its content_block_stop.',
    message,
    chunking,
    faults: { '1': { kind: 'drop', afterEvents: stopOfUnknown } },
  });
}

/** claude-opus-4-6 text whose continuation turn restates the last 3 words (the seam rule). */
export function seamRestate(): ScenarioFile {
  const next = rng(808);
  const message = buildMessage(next, {
    model: 'claude-opus-4-6',
    content: [{ type: 'text', text: prose(next, 600) }],
    stopReason: 'end_turn',
    inputTokens: 512,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  // A cut in the middle of a word, so the seam joins two halves of it.
  let event = findEvent(stream, isDelta(0, 'text_delta'), Math.floor(stream.events.length / 2));
  const wordInside = (e: number) =>
    /[a-z]{4}/.test(String((stream.events[e] as { delta?: { text?: string } }).delta?.text));
  while (!wordInside(event)) event++;
  return scenarioFile({
    name: 'seam-restate',
    description:
      'claude-opus-4-6 (prefill refused) writes ~600 words; a continuation turn restates the last 3 words of the partial text before going on, so the seam rule must trim them. Attempt 1 is dropped after a text_delta that ends inside a word.',
    message,
    chunking,
    restate: 3,
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}

/** claude-opus-4-6 text whose continuation turn opens with a signed thinking block. */
export function continuationThinking(): ScenarioFile {
  const next = rng(909);
  const message = buildMessage(next, {
    model: 'claude-opus-4-6',
    content: [{ type: 'text', text: prose(next, 300) }],
    stopReason: 'end_turn',
    inputTokens: 402,
  });
  const chunking = { text: 8 };
  const stream = renderStream(message, chunking);
  const first = findEvent(stream, isDelta(0, 'text_delta'));
  return scenarioFile({
    name: 'continuation-thinking',
    description:
      'claude-opus-4-6 text; its continuation turn opens with a signed thinking block, and the rest of the text follows as a separate text block (adaptive thinking). Attempt 1 is dropped 60 text deltas in.',
    message,
    chunking,
    continuationThinking: true,
    faults: { '1': { kind: 'drop', afterEvents: first + 60 } },
  });
}
