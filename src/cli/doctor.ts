/**
 * `lifeline doctor [--json] [--upstream URL] [--timeout-ms N] [--sse | --sse-url URL]`:
 * checks the environment an Anthropic client runs in (see src/diagnose/doctor.ts).
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  DoctorOptionError,
  type DoctorOptions,
  renderDoctor,
  runDoctor,
} from '../diagnose/index.js';

interface DoctorFlags {
  readonly json?: boolean;
  readonly upstream?: string;
  readonly timeoutMs?: string;
  readonly sse?: boolean;
  readonly sseUrl?: string;
  readonly model?: string;
  readonly python?: string;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check runtimes, SDK versions, proxies, timeouts and the path to the upstream')
    .option('--json', 'print the snapshot as JSON (schema lifeline.doctor/1), for `lifeline diff`')
    .option(
      '--upstream <url>',
      'base URL to probe (default: ANTHROPIC_BASE_URL, else https://api.anthropic.com)',
    )
    .option('--timeout-ms <n>', 'timeout per probe step in milliseconds', '5000')
    .option(
      '--sse',
      'stream a short Messages request from the upstream to detect SSE buffering (uses a few tokens)',
    )
    .option(
      '--sse-url <url>',
      'detect SSE buffering on any streaming URL (GET), e.g. through your proxy',
    )
    .option('--model <id>', 'model for the --sse probe')
    .option(
      '--python <commands>',
      'comma-separated Python interpreters to check, or "none" (default: /usr/bin/python3,python3)',
    )
    .addHelpText(
      'after',
      '\nExit code: 0, or 1 when a check found an error (e.g. the upstream is unreachable); 2 on bad flags.',
    )
    .action(async (flags: DoctorFlags) => {
      const timeoutMs = Number(flags.timeoutMs);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        return badInput(
          `--timeout-ms must be a positive whole number of milliseconds, got "${flags.timeoutMs}"`,
        );
      }
      const options: DoctorOptions = {
        timeoutMs,
        sse: flags.sse === true,
        ...(flags.upstream === undefined ? {} : { upstream: flags.upstream }),
        ...(flags.sseUrl === undefined ? {} : { sseUrl: flags.sseUrl }),
        ...(flags.model === undefined ? {} : { model: flags.model }),
        ...(flags.python === undefined ? {} : { pythons: pythonList(flags.python) }),
      };
      let snapshot: Awaited<ReturnType<typeof runDoctor>>;
      try {
        snapshot = await runDoctor(options);
      } catch (err) {
        if (err instanceof DoctorOptionError) return badInput(err.message);
        throw err;
      }
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
      } else {
        const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
        process.stdout.write(renderDoctor(snapshot, pc.createColors(color)));
      }
      if (snapshot.warnings.some((w) => w.severity === 'error')) process.exitCode = 1;
    });
}

/** `--python a,b` -> ['a', 'b']; `--python none` -> []. */
function pythonList(value: string): string[] {
  if (value.trim() === 'none') return [];
  return value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

function badInput(message: string): void {
  process.stderr.write(`lifeline doctor: ${message}\n`);
  process.exitCode = 2;
}
