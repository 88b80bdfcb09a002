/**
 * The seed scenario, shaped like the reported failure: claude-opus-4-6 with code execution
 * and skills in a container, a ~42 KB `text_editor_code_execution` create early on, a loop of
 * text / server tool use / result blocks so that 38 blocks (0..37) complete, then block 38, a
 * `text_editor_code_execution` whose input is streaming, dies 20 bytes in: the client has
 * received one 20-byte `input_json_delta` whole when the socket is destroyed in the middle of
 * the next event, inside its HTTP chunk. The message goes on after that (result, text,
 * end_turn), which is what a resume must produce.
 */
import type { ScenarioFile } from '../scenario.js';
import {
  buildMessage,
  dropInside,
  findEvent,
  isDelta,
  renderStream,
  scenarioFile,
} from './build.js';
import { fixtureId, type Rng, rng, sentence } from './prose.js';

/**
 * The name of the built-in scenario shaped after the reported incident: claude-opus-4-6 with code
 * execution and skills, the socket closed inside a tool input after 38 blocks.
 */
export const SEED_SCENARIO_NAME = 'seed-opus-4-6-code-execution';
/** Blocks that complete before the drop (indices 0..37). */
export const SEED_COMPLETE_BLOCKS = 38;
/** Bytes of block 38's `partial_json` the client receives in whole events. */
export const SEED_PARTIAL_JSON_BYTES = 20;

const OUT = '/tmp/outputs';
const REGIONS = ['north', 'south', 'east', 'west', 'central', 'emea', 'apac', 'latam'];
const METRICS = [
  'revenue',
  'units',
  'margin',
  'returns',
  'discount',
  'churn',
  'pipeline',
  'forecast',
];

/** A Python module of about `targetJsonBytes` once JSON-encoded as a tool input. */
function reportGenerator(next: Rng, targetJsonBytes: number): string {
  const lines = [
    '"""Quarterly sales report generator: reads the CSV exports, writes report.xlsx."""',
    'from __future__ import annotations',
    '',
    'import csv',
    'import statistics',
    'from dataclasses import dataclass',
    'from pathlib import Path',
    '',
    'from openpyxl import Workbook',
    'from openpyxl.styles import Font, PatternFill',
    '',
    `INPUT_DIR = Path("/tmp/inputs")`,
    `OUTPUT = Path("${OUT}/report.xlsx")`,
    '',
    '',
    '@dataclass',
    'class Row:',
    '    region: str',
    '    metric: str',
    '    month: int',
    '    value: float',
    '',
    '',
    'def load_rows(path: Path) -> list[Row]:',
    '    with path.open(newline="", encoding="utf-8") as handle:',
    '        return [Row(r["region"], r["metric"], int(r["month"]), float(r["value"])) for r in csv.DictReader(handle)]',
    '',
  ];
  const tail = [
    '',
    'def main() -> None:',
    '    rows = [row for path in sorted(INPUT_DIR.glob("*.csv")) for row in load_rows(path)]',
    '    book = Workbook()',
    '    sheet = book.active',
    '    sheet.title = "Summary"',
    '    sheet.append(["Region", "Metric", "Total", "Mean", "Peak"])',
    '    for cell in sheet[1]:',
    '        cell.font = Font(bold=True)',
    '        cell.fill = PatternFill("solid", fgColor="DDEBF7")',
    '    for name, fn in sorted(globals().items()):',
    '        if name.startswith("summarize_"):',
    '            region, metric = name.split("_")[1:3]',
    '            stats = fn(rows)',
    '            sheet.append([region, metric, stats["total"], stats["mean"], stats["peak"]])',
    '    OUTPUT.parent.mkdir(parents=True, exist_ok=True)',
    '    book.save(OUTPUT)',
    '    print(f"wrote {OUTPUT} with {sheet.max_row - 1} rows")',
    '',
    '',
    'if __name__ == "__main__":',
    '    main()',
    '',
  ];
  const size = () => JSON.stringify(`${lines.join('\n')}\n${tail.join('\n')}`).length;
  let i = 0;
  // Each helper adds ~600 bytes: stop within half of one of the target.
  while (size() < targetJsonBytes - 300) {
    const region = REGIONS[i % REGIONS.length]!;
    const metric = METRICS[Math.floor(i / REGIONS.length) % METRICS.length]!;
    const suffix = i < 64 ? '' : `_v${Math.floor(i / 64)}`;
    lines.push(
      '',
      `def summarize_${region}_${metric}${suffix}(rows: list[Row]) -> dict[str, float]:`,
      `    """${sentence(next, 9, false).replace(/\.$/, '')} ({region} / {metric})."""`,
      `    values = [r.value for r in rows if r.region == "${region}" and r.metric == "${metric}"]`,
      '    if not values:',
      '        return {"total": 0.0, "mean": 0.0, "peak": 0.0}',
      '    return {',
      '        "total": round(sum(values), 2),',
      '        "mean": round(statistics.fmean(values), 2),',
      `        "peak": round(max(values) * ${(1 + (i % 7) / 100).toFixed(2)}, 2),`,
      '    }',
      '',
    );
    i++;
  }
  return [...lines, ...tail].join('\n');
}

type Block = Record<string, unknown>;

function bash(
  next: Rng,
  command: string,
  stdout: string,
  stderr = '',
  returnCode = 0,
): [Block, Block] {
  const id = fixtureId(next, 'srvtoolu_01');
  return [
    { type: 'server_tool_use', id, name: 'bash_code_execution', input: { command } },
    {
      type: 'bash_code_execution_tool_result',
      tool_use_id: id,
      content: {
        type: 'bash_code_execution_result',
        stdout,
        stderr,
        return_code: returnCode,
        content: [],
      },
    },
  ];
}

function editor(
  next: Rng,
  input: Record<string, unknown>,
  result: Record<string, unknown>,
): [Block, Block] {
  const id = fixtureId(next, 'srvtoolu_01');
  return [
    { type: 'server_tool_use', id, name: 'text_editor_code_execution', input },
    { type: 'text_editor_code_execution_tool_result', tool_use_id: id, content: result },
  ];
}

const created = { type: 'text_editor_code_execution_create_result', is_file_update: false };

function text(value: string): Block {
  return { type: 'text', text: value };
}

function readme(next: Rng): string {
  const sections = [
    '# Quarterly sales report',
    '',
    'Generated by `report_generator.py` from the CSV exports in `/tmp/inputs`.',
    '',
    '## Regenerate',
    '',
    '```bash',
    'python report_generator.py',
    '```',
    '',
    '## Sheets',
    '',
  ];
  for (const region of REGIONS) {
    sections.push(`- **${region}**: ${sentence(next, 14, false)}`);
  }
  sections.push('', '## Notes', '');
  for (let i = 0; i < 14; i++) sections.push(`${i + 1}. ${sentence(next, 16, false)}`);
  return `${sections.join('\n')}\n`;
}

export function seedOpus46CodeExecution(): ScenarioFile {
  const next = rng(4638);
  const generator = reportGenerator(next, 42 * 1024);
  const lineOf = (needle: string) => generator.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const splitLine = lineOf('name.split("_")[1:3]');
  const mkdirLine = lineOf('OUTPUT.parent.mkdir');
  const blocks: Block[] = [
    text(
      "I'll build the quarterly report with the xlsx skill. First I'll write the generator script that reads the CSV exports and produces the workbook.",
    ),
    ...editor(
      next,
      { command: 'create', path: `${OUT}/report_generator.py`, file_text: generator },
      created,
    ),
  ];
  const steps: Array<() => Block[]> = [
    () => [
      text('Let me check the input files are where I expect them.'),
      ...bash(
        next,
        'ls -la /tmp/inputs',
        'total 96\n-rw-r--r-- 1 user user 31244 Nov 13 09:58 q3_north_south.csv\n-rw-r--r-- 1 user user 29870 Nov 13 09:58 q3_east_west.csv\n-rw-r--r-- 1 user user 30112 Nov 13 09:58 q3_intl.csv\n',
      ),
    ],
    () => [
      text('Three exports. A quick look at the header of one of them:'),
      ...editor(
        next,
        { command: 'view', path: '/tmp/inputs/q3_intl.csv', view_range: [1, 3] },
        {
          type: 'text_editor_code_execution_view_result',
          file_type: 'text',
          content: 'region,metric,month,value\napac,revenue,7,182340.50\napac,units,7,1204\n',
          num_lines: 3,
          start_line: 1,
          total_lines: 1537,
        },
      ),
    ],
    () => [
      text('The columns match the loader. Running the generator now.'),
      ...bash(
        next,
        `cd ${OUT} && python report_generator.py`,
        '',
        `Traceback (most recent call last):\n  File "/tmp/outputs/report_generator.py", line ${splitLine}, in main\n    region, metric = name.split("_")[1:3]\nValueError: not enough values to unpack (expected 2, got 1)\n`,
        1,
      ),
    ],
    () => [
      text('A helper without a metric suffix trips the unpacking. I will make the split explicit.'),
      ...editor(
        next,
        {
          command: 'str_replace',
          path: `${OUT}/report_generator.py`,
          old_str: '            region, metric = name.split("_")[1:3]',
          new_str: '            _, region, metric, *_ = name.split("_") + ["", ""]',
        },
        {
          type: 'text_editor_code_execution_str_replace_result',
          lines: ['            _, region, metric, *_ = name.split("_") + ["", ""]'],
          new_lines: 1,
          new_start: splitLine,
          old_lines: 1,
          old_start: splitLine,
        },
      ),
    ],
    () => [
      text('Running it again.'),
      ...bash(
        next,
        `cd ${OUT} && python report_generator.py`,
        `wrote ${OUT}/report.xlsx with 64 rows\n`,
      ),
    ],
    () => [
      text('The workbook was written. Let me verify its contents with openpyxl.'),
      ...bash(
        next,
        `python -c "import openpyxl; s = openpyxl.load_workbook('${OUT}/report.xlsx').active; print(s.max_row, s.max_column); print([c.value for c in s[2]])"`,
        "65 5\n['north', 'revenue', 1843220.75, 153601.73, 212144.9]\n",
      ),
    ],
    () => [
      text(
        'Rows and columns are right. I also want a per-region sheet, so I will add that to the generator.',
      ),
      ...editor(
        next,
        {
          command: 'str_replace',
          path: `${OUT}/report_generator.py`,
          old_str: '    OUTPUT.parent.mkdir(parents=True, exist_ok=True)',
          new_str:
            '    for region in sorted({r.region for r in rows}):\n        book.create_sheet(region.title())\n    OUTPUT.parent.mkdir(parents=True, exist_ok=True)',
        },
        {
          type: 'text_editor_code_execution_str_replace_result',
          lines: [
            '    for region in sorted({r.region for r in rows}):',
            '        book.create_sheet(region.title())',
            '    OUTPUT.parent.mkdir(parents=True, exist_ok=True)',
          ],
          new_lines: 3,
          new_start: mkdirLine,
          old_lines: 1,
          old_start: mkdirLine,
        },
      ),
    ],
    () => [
      text('Regenerating with the extra sheets.'),
      ...bash(
        next,
        `cd ${OUT} && python report_generator.py && python -c "import openpyxl; print(openpyxl.load_workbook('${OUT}/report.xlsx').sheetnames)"`,
        `wrote ${OUT}/report.xlsx with 64 rows\n['Summary', 'Apac', 'Central', 'East', 'Emea', 'Latam', 'North', 'South', 'West']\n`,
      ),
    ],
    () => [
      text('Nine sheets as expected. Checking the totals against a direct sum of the CSVs:'),
      ...bash(
        next,
        "python -c \"import csv,glob; print(round(sum(float(r['value']) for f in glob.glob('/tmp/inputs/*.csv') for r in csv.DictReader(open(f)) if r['metric']=='revenue'), 2))\"",
        '14729384.12\n',
      ),
    ],
    () => [
      text(
        'That matches the Summary sheet total for revenue. Let me look at the file size and timestamps.',
      ),
      ...bash(
        next,
        `ls -la ${OUT}`,
        'total 212\n-rw-r--r-- 1 user user 141208 Nov 13 10:07 report.xlsx\n-rw-r--r-- 1 user user  43311 Nov 13 10:06 report_generator.py\n',
      ),
    ],
  ];
  for (const step of steps) blocks.push(...step());
  // Two tool calls back to back, without text between them.
  blocks.push(
    ...editor(
      next,
      { command: 'view', path: `${OUT}/report_generator.py`, view_range: [1, 12] },
      {
        type: 'text_editor_code_execution_view_result',
        file_type: 'text',
        content: generator.split('\n').slice(0, 12).join('\n'),
        num_lines: 12,
        start_line: 1,
        total_lines: generator.split('\n').length,
      },
    ),
    ...bash(next, `python -m py_compile ${OUT}/report_generator.py && echo ok`, 'ok\n'),
  );
  blocks.push(
    text(
      'Everything checks out. Finally I will write a short README next to the workbook that explains how to regenerate it.',
    ),
  );
  if (blocks.length !== SEED_COMPLETE_BLOCKS) {
    throw new Error(
      `seed scenario: ${blocks.length} blocks before the cut, want ${SEED_COMPLETE_BLOCKS}`,
    );
  }
  const [readmeUse, readmeResult] = editor(
    next,
    { command: 'create', path: `${OUT}/README.md`, file_text: readme(next) },
    created,
  );
  blocks.push(
    readmeUse,
    readmeResult,
    text(
      `The report is ready:\n\n- \`${OUT}/report.xlsx\`: a Summary sheet (64 region × metric rows with total, mean and peak) and one sheet per region.\n- \`${OUT}/report_generator.py\`: the generator, re-runnable on new exports.\n- \`${OUT}/README.md\`: how to regenerate it.\n\nRevenue for the quarter totals 14,729,384.12, which matches a direct sum of the three CSV exports.`,
    ),
  );

  const message = buildMessage(next, {
    model: 'claude-opus-4-6',
    content: blocks,
    stopReason: 'end_turn',
    inputTokens: 5210,
    container: {
      id: fixtureId(next, 'container_011CV', 18),
      expires_at: '2025-11-20T10:35:12.482931Z',
      skills: [
        { type: 'anthropic', skill_id: 'xlsx', version: 'latest' },
        { type: 'anthropic', skill_id: 'docx', version: 'latest' },
      ],
    },
  });
  // 20-code-point deltas: block 38's input opens with `{"command":"create",`, exactly 20 bytes.
  const chunking = { text: 8, json: SEED_PARTIAL_JSON_BYTES };
  const stream = renderStream(message, chunking);
  const firstDelta = findEvent(stream, isDelta(SEED_COMPLETE_BLOCKS, 'input_json_delta'));
  const delivered = (stream.events[firstDelta] as unknown as { delta: { partial_json: string } })
    .delta.partial_json;
  if (Buffer.byteLength(delivered) !== SEED_PARTIAL_JSON_BYTES) {
    throw new Error(`seed scenario: first delta of block 38 is ${JSON.stringify(delivered)}`);
  }
  return scenarioFile({
    name: SEED_SCENARIO_NAME,
    description:
      'The reported failure: claude-opus-4-6, betas code-execution-2025-08-25 + skills-2025-10-02, a container with skills, a ~42 KB text_editor_code_execution create early, then a loop of text / bash_code_execution / text_editor_code_execution blocks and their results. 38 blocks (0..37) complete; block 38, a text_editor_code_execution server_tool_use, has streamed one 20-byte input_json_delta when attempt 1 loses its socket in the middle of the next event, inside its HTTP chunk. The message continues with the result, a closing text, end_turn.',
    message,
    chunking,
    betas: ['code-execution-2025-08-25', 'skills-2025-10-02'],
    requireBetas: true,
    faults: { '1': dropInside(stream, firstDelta + 1) },
  });
}
