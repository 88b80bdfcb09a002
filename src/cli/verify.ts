/**
 * `lifeline verify (--scenario FILE|NAME | --request FILE) [--runs N] [--upstream URL]
 * [--fault JSON] [--cut N|random [--seed N]] [--seam auto|append] [--instruction-tail N]
 * [--json]`: reruns the smallest failing action through lifeline N times and reports that it
 * now completes (see src/diagnose/verify.ts); with `--cut`, lifeline cuts each run's stream
 * itself and audits the seams (src/diagnose/verify/: cut.ts, seams.ts, seam-audit.ts).
 * Exit 0 when every run passes and no seam is flagged, 1 otherwise, 2 on bad input.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type CutSpec,
  formatVerify,
  formatVerifyRun,
  VerifyInputError,
  type VerifyResult,
  type VerifyTarget,
  verify,
} from '../diagnose/index.js';
import { LifelineError } from '../errors.js';
import {
  type FaultMap,
  faultMapSchema,
  faultSchema,
  loadScenarioFile,
  type Scenario,
  shippedScenarios,
} from '../mock/index.js';
import type { MessageRequestBody } from '../resume/index.js';

interface VerifyFlags {
  readonly scenario?: string;
  readonly request?: string;
  readonly runs: string;
  readonly upstream?: string;
  readonly fault?: string;
  readonly header?: string[];
  readonly maxAttempts?: string;
  readonly stallTimeout?: string;
  readonly json?: boolean;
  readonly cut?: string;
  readonly seed?: string;
  readonly seam?: string;
  readonly instructionTail?: string;
}

const DEFAULT_RUNS = 5;
const DEFAULT_UPSTREAM = 'https://api.anthropic.com';

/** Bad input: the one line to print. */
class BadInput extends LifelineError {
  readonly type = 'bad-input' as const;
}

/** A local upstream (a mock, a proxy on this machine) needs no API key to be worth a warning. */
function isLocal(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new BadInput(`${flag} must be a whole number of at least 1 (got "${value}")`);
  }
  return n;
}

function nonNegativeInt(value: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > max) {
    throw new BadInput(`${flag} must be a whole number from 0 to ${max} (got "${value}")`);
  }
  return n;
}

interface AuditFlags {
  cut: CutSpec | undefined;
  seam: 'auto' | 'append' | undefined;
  instructionTail: number | undefined;
}

function auditFlags(flags: VerifyFlags): AuditFlags {
  let cut: CutSpec | undefined;
  if (flags.cut !== undefined) {
    if (flags.cut.trim() === 'random') {
      cut = {
        kind: 'random',
        seed:
          flags.seed === undefined
            ? randomBytes(4).readUInt32BE(0)
            : nonNegativeInt(flags.seed, '--seed', 0xffff_ffff),
      };
    } else if (/^\d+$/.test(flags.cut.trim())) {
      cut = { kind: 'event', event: positiveInt(flags.cut, '--cut') };
    } else {
      throw new BadInput(
        `--cut takes an event number (cut after that SSE event) or "random" (got "${flags.cut}")`,
      );
    }
  }
  if (flags.seed !== undefined && cut?.kind !== 'random') {
    throw new BadInput('--seed goes with --cut random');
  }
  if (flags.seam !== undefined && flags.seam !== 'auto' && flags.seam !== 'append') {
    throw new BadInput(`--seam is auto or append (got "${flags.seam}")`);
  }
  return {
    cut,
    seam: flags.seam,
    instructionTail:
      flags.instructionTail === undefined
        ? undefined
        : nonNegativeInt(flags.instructionTail, '--instruction-tail', 100_000),
  };
}

function resolveScenario(spec: string): Scenario {
  if (existsSync(spec)) {
    if (statSync(spec).isDirectory()) {
      throw new BadInput(
        `--scenario ${spec} is a directory; give one scenario file or a scenario name`,
      );
    }
    try {
      return loadScenarioFile(spec);
    } catch (err) {
      throw new BadInput(err instanceof Error ? err.message : String(err));
    }
  }
  if (spec.includes('/') || spec.endsWith('.json'))
    throw new BadInput(`no such scenario file: ${spec}`);
  const shipped = shippedScenarios().scenarios;
  const found = shipped.find((s) => s.name === spec);
  if (found === undefined) {
    throw new BadInput(
      `no scenario named "${spec}" (shipped: ${shipped.map((s) => s.name).join(', ')}); or give a scenario file`,
    );
  }
  return found;
}

function parseFaults(text: string): FaultMap {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BadInput(`--fault is not JSON: ${(err as Error).message}`);
  }
  // One fault means "on attempt 1", as the mock's x-mock-faults header reads it.
  const single = typeof json === 'object' && json !== null && 'kind' in json;
  const parsed = single ? faultSchema.safeParse(json) : faultMapSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    throw new BadInput(
      `--fault${where ? `.${where}` : ''}: ${issue?.message ?? 'invalid'} ` +
        '(give one fault like {"kind":"drop","afterEvents":40}, or a map like {"1":{...},"*":{...}})',
    );
  }
  return single ? { '1': parsed.data as FaultMap[string] } : (parsed.data as FaultMap);
}

function parseHeaders(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const colon = value.indexOf(':');
    if (colon <= 0) throw new BadInput(`--header "${value}" is not "name: value"`);
    out[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
  }
  return out;
}

function readRequest(file: string): MessageRequestBody {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new BadInput(
      code === 'ENOENT'
        ? `no such request file: ${file}`
        : `cannot read ${file}: ${(err as Error).message}`,
    );
  }
  if (text.trim() === '') throw new BadInput(`the request file ${file} is empty`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadInput(`the request file ${file} is not JSON: ${(err as Error).message}`);
  }
  return body as MessageRequestBody;
}

function target(flags: VerifyFlags): VerifyTarget {
  const given = [flags.scenario, flags.request].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new BadInput('give exactly one of --scenario FILE|NAME or --request FILE');
  }
  const faults = flags.fault === undefined ? undefined : parseFaults(flags.fault);
  if (flags.scenario !== undefined) {
    if (flags.upstream !== undefined) {
      throw new BadInput('--upstream goes with --request; a scenario runs on an in-process mock');
    }
    return { kind: 'scenario', scenario: resolveScenario(flags.scenario), faults };
  }
  const body = readRequest(flags.request!);
  const upstream = flags.upstream ?? process.env.ANTHROPIC_BASE_URL ?? DEFAULT_UPSTREAM;
  const apiKey = process.env.ANTHROPIC_API_KEY;
  return {
    kind: 'request',
    body,
    upstream,
    apiKey: apiKey === undefined || apiKey === '' ? undefined : apiKey,
    headers: parseHeaders(flags.header),
    faults,
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const HELP_AFTER = `
Seam audit (--cut):
  lifeline cuts the stream itself, client side (the first attempt of each run that streams
  ends with undici's "terminated" / "other side closed" right after the chosen SSE event), so
  the engine resumes as on a real drop, against any upstream, the real API included. Each run
  then prints where it was cut, and every seam of the final text: the rule that joined it,
  characters trimmed, confidence, and 60 characters on each side around a ‖ marker, escaped
  (\\n, \\t, \\u00a0) so whitespace shows; then the final text's length and whether it completed.
  --cut N         after event N (1 = message_start; comments do not count). A cut where there
                  is no text (a tool input, between blocks) is reported as such.
  --cut random    after a text delta chosen uniformly among those with more text of their block
                  after them (text on both sides of the seam), seeded (--seed; run r of seed s
                  picks the same position of the same stream). It reads the whole first attempt
                  before replaying it up to the cut, so it pays for that attempt in full.
  A local mock's scripted faults are turned off (unless --fault is given): lifeline cuts.
  Suspicion flags, on the final text around each seam:
    repeat  text repeated across the seam: 3+ words (or 4+ characters of a script without
            spaces) ending the text before it and starting the text after it, or the last 3
            words before it again within 60 characters after it. One or two repeated words
            ("had had") are not flagged.
    glued   a word glued across it: a repeated chunk of 3+ letters split by the seam
            ("synchronis‖synchronisation"), or lower to upper case inside a word ("quick‖Brown";
            not in code).
    fence   a code fence marker not at a line start just after the seam ("re‖\`\`\`python"),
            or an odd number of fence lines where the uncut text has an even one.
    space   two or more spaces where the two sides meet, between words in prose.
  Exit 1 when a run fails or a seam is flagged; 0 otherwise; 2 on bad input.

Examples:
  lifeline verify --scenario seed-opus-4-6-code-execution --runs 10
  lifeline verify --scenario plain-long-text --fault '{"*":{"kind":"drop","afterEvents":40}}' --max-attempts 3
  ANTHROPIC_API_KEY=... lifeline verify --request request.json -H "anthropic-beta: code-execution-2025-08-25"
  ANTHROPIC_API_KEY=... lifeline verify --request body.json --cut random --runs 5
      (the real API, https://api.anthropic.com unless --upstream or $ANTHROPIC_BASE_URL)
  ANTHROPIC_API_KEY=... lifeline verify --request body.json --cut 40 --seam append --json
  lifeline mock --port 8765 &
  lifeline verify --request body.json --upstream http://127.0.0.1:8765 -H "x-mock-scenario: seam-restate" --cut random --seed 7 --runs 10
  lifeline verify --scenario seam-restate --cut random --runs 10 --instruction-tail 0
`;

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'rerun the smallest failing action through lifeline N times and report that it completes',
    )
    .option(
      '--scenario <file|name>',
      'a scenario file, or the name of a shipped scenario (runs on an in-process mock)',
    )
    .option('--request <file>', 'a recorded Messages request body (JSON) to send to --upstream')
    .option('--runs <n>', 'how many times to run it', String(DEFAULT_RUNS))
    .option(
      '--upstream <url>',
      `where --request goes (default: $ANTHROPIC_BASE_URL or ${DEFAULT_UPSTREAM}); the API key comes from $ANTHROPIC_API_KEY`,
    )
    .option(
      '--fault <json>',
      "faults to inject: replaces a scenario's own; sent as x-mock-faults with --request (a lifeline mock upstream obeys it)",
    )
    .option(
      '-H, --header <name: value>',
      'an extra request header, e.g. "anthropic-beta: code-execution-2025-08-25" (repeatable)',
      collect,
    )
    .option('--max-attempts <n>', "lifeline's attempt budget per run (default 6)")
    .option(
      '--stall-timeout <ms>',
      'the longest upstream silence before a stall (stallTimeoutMs, the adaptive ceiling; default 90000)',
    )
    .option(
      '--cut <n|random>',
      'seam audit: lifeline cuts the first streamed attempt of each run itself, after SSE event n or at a random text delta, resumes, and audits each seam',
    )
    .option('--seed <n>', 'the seed of --cut random (default: a random one, printed)')
    .option(
      '--seam <auto|append>',
      "the engine's seam: auto (default) trims what a continuation restates; append joins it as written (deliberately naive, to compare)",
    )
    .option(
      '--instruction-tail <chars>',
      "characters of the partial text quoted in a continuation turn's instruction (the engine's default unless given; 0 quotes none)",
    )
    .option('--json', 'print JSON (schema lifeline.verify/1)')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: VerifyFlags) => {
      let what: VerifyTarget;
      let audit: AuditFlags;
      let runs: number;
      let maxAttempts: number | undefined;
      let stallTimeoutMs: number | undefined;
      try {
        runs = positiveInt(flags.runs, '--runs');
        maxAttempts =
          flags.maxAttempts === undefined
            ? undefined
            : positiveInt(flags.maxAttempts, '--max-attempts');
        stallTimeoutMs =
          flags.stallTimeout === undefined
            ? undefined
            : positiveInt(flags.stallTimeout, '--stall-timeout');
        audit = auditFlags(flags);
        what = target(flags);
      } catch (err) {
        if (!(err instanceof BadInput)) throw err;
        process.stderr.write(`lifeline verify: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (what.kind === 'request' && what.apiKey === undefined && !isLocal(what.upstream)) {
        process.stderr.write(
          'lifeline verify: ANTHROPIC_API_KEY is not set; sending the request without x-api-key\n',
        );
      }
      const json = flags.json === true;
      // A TTY gets one progress line rewritten in place; anything else gets a line per run.
      const progressStream = json ? process.stderr : process.stdout;
      const tty = progressStream.isTTY === true;
      let result: VerifyResult;
      try {
        result = await verify(what, {
          runs,
          policy: maxAttempts === undefined ? undefined : { maxAttempts },
          stallTimeoutMs,
          cut: audit.cut,
          seam: audit.seam,
          instructionTail: audit.instructionTail,
          onRun: ({ run, total, result: done }) => {
            if (tty) {
              if (done === undefined) progressStream.write(`\rrun ${run}/${total}`);
            } else if (!json && done !== undefined) {
              process.stdout.write(`${formatVerifyRun(done, total)}\n`);
            }
          },
        });
      } catch (err) {
        if (tty) progressStream.write('\r\x1b[K');
        if (!(err instanceof VerifyInputError)) throw err;
        process.stderr.write(`lifeline verify: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (tty) progressStream.write('\r\x1b[K');
      process.stdout.write(
        json ? `${JSON.stringify(result, null, 2)}\n` : formatVerify(result, { runLines: tty }),
      );
      process.exitCode = result.failed === 0 && (result.audit?.suspicious ?? 0) === 0 ? 0 : 1;
    });
}
