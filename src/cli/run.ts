/**
 * `lifeline run [proxy options] -- <command> [args...]`: protects any program that reads
 * ANTHROPIC_BASE_URL (Claude Code, the Agent SDK, Python or TypeScript apps) without changing
 * it. Starts the proxy on an ephemeral loopback port, runs the command with
 * ANTHROPIC_BASE_URL pointing at it (a base URL already set becomes the proxy's upstream),
 * inherits stdio and the terminal, forwards signals, exits with the command's exit code, and
 * prints one summary line to stderr when something happened.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command, Option } from 'commander';
import {
  ProxyConfigError,
  type ProxyServer,
  resolveProxyConfig,
  startProxy,
} from '../proxy/index.js';
import type { RecoveryReport } from '../resume/index.js';

/** What `lifeline run` saw, summed over the command's requests. */
export interface RunSummary {
  command: string[];
  exitCode: number | null;
  signal: string | null;
  /** Protected (streaming) requests. */
  requests: number;
  /** Failures seen upstream (drops, stalls, error events, retryable statuses). */
  drops: number;
  /** Requests that failed and were completed by lifeline. */
  recovered: number;
  /** Requests lifeline could not complete (the client got an explained error). */
  failed: number;
  /**
   * Output the client kept instead of having it regenerated: characters of content delivered
   * before each failure, and that divided by 4 (about 4 characters a token in English text; an
   * estimate, not a count).
   */
  keptChars: number;
  keptTokensEstimate: number;
  /** Seams joined, and how many of them were decided with low confidence. */
  seams: number;
  lowConfidenceSeams: number;
}

/** Sums the reports of one `lifeline run`. */
export function summarizeRun(
  reports: readonly RecoveryReport[],
): Omit<RunSummary, 'command' | 'exitCode' | 'signal'> {
  let drops = 0;
  let recovered = 0;
  let failed = 0;
  let keptChars = 0;
  let seams = 0;
  let low = 0;
  for (const r of reports) {
    drops += r.failures.length;
    if (r.outcome === 'recovered') recovered++;
    if (r.outcome === 'failed') failed++;
    if (r.outcome === 'recovered') {
      for (const a of r.attempts) keptChars += a.deliveredChars ?? 0;
    }
    seams += r.seams.length;
    low += r.seams.filter((s) => s.confidence === 'low').length;
  }
  return {
    requests: reports.length,
    drops,
    recovered,
    failed,
    keptChars,
    keptTokensEstimate: Math.round(keptChars / 4),
    seams,
    lowConfidenceSeams: low,
  };
}

export function summaryLine(s: RunSummary): string {
  const parts = [
    `${s.requests} request${s.requests === 1 ? '' : 's'}`,
    `${s.drops} drop${s.drops === 1 ? '' : 's'}`,
    `${s.recovered} recovered`,
  ];
  if (s.failed > 0) parts.push(`${s.failed} not recoverable`);
  if (s.recovered > 0) {
    parts.push(
      `~${s.keptTokensEstimate.toLocaleString('en-US')} output tokens kept instead of regenerated`,
    );
  }
  if (s.lowConfidenceSeams > 0) parts.push(`${s.lowConfidenceSeams} seam(s) of low confidence`);
  return `lifeline: ${parts.join(', ')}`;
}

interface RunFlags {
  quiet?: boolean;
  report?: string;
  logFile?: string;
  [flag: string]: unknown;
}

const HELP_AFTER = `
Examples:
  lifeline run -- claude                       an interactive Claude Code session, protected
  lifeline run -- claude -p "fix the tests" --output-format json
  lifeline run --trace-dir ./traces -- python app.py
  lifeline run --upstream http://127.0.0.1:9000 -- node agent.js

The command gets ANTHROPIC_BASE_URL=http://127.0.0.1:<port> (an ephemeral port). If
ANTHROPIC_BASE_URL was already set, that URL becomes the proxy's upstream (unless --upstream is
given). The proxy's JSON log lines go to --log-file (default: nowhere), never to the command's
stdout. Every proxy option is accepted; --port and --host are fixed to an ephemeral loopback port.
Exit code: the command's (128 + signal number when it was killed by a signal; 2 on a usage error).`;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
  SIGKILL: 9,
};

export function register(program: Command): void {
  const proxy = program.commands.find((c) => c.name() === 'proxy');
  const run = program
    .command('run')
    .description(
      'Run a command (Claude Code, an agent, any program reading ANTHROPIC_BASE_URL) with its Anthropic traffic protected by a private lifeline proxy.',
    )
    .usage('[options] -- <command> [args...]')
    .argument('<command...>', 'the command to run, after --')
    .option('--quiet', 'print no summary line')
    .option('--report <file>', 'write the run summary as JSON to FILE')
    .option('--log-file <file>', "append the proxy's JSON log lines to FILE")
    .addHelpText('after', HELP_AFTER);
  // Every proxy option, but where it listens: the port is ephemeral, the host loopback.
  for (const option of proxy?.options ?? []) {
    if (option.long === '--port' || option.long === '--host') continue;
    run.addOption(option as Option);
  }
  run.action(async (command: string[], flags: RunFlags) => {
    process.exitCode = await runCommand(command, flags);
  });
}

async function runCommand(command: string[], flags: RunFlags): Promise<number> {
  const { quiet, report: reportFile, logFile, ...proxyFlags } = flags;
  const inherited = process.env.ANTHROPIC_BASE_URL;
  const reports: RecoveryReport[] = [];
  let proxy: ProxyServer;
  try {
    const settings = resolveProxyConfig({
      ...proxyFlags,
      port: 0,
      host: '127.0.0.1',
      ...(proxyFlags.upstream === undefined && inherited
        ? { upstream: inherited.replace(/\/+$/u, '') }
        : {}),
    });
    const logs =
      logFile === undefined
        ? new Writable({ write: (_chunk, _enc, done) => done() })
        : await import('node:fs').then((fs) =>
            fs.createWriteStream(logFile, { flags: 'a', mode: 0o600 }),
          );
    proxy = await startProxy({
      ...settings,
      logDestination: logs,
      processMetrics: false,
      onReport: (r) => reports.push(r),
    });
  } catch (err) {
    const message =
      err instanceof ProxyConfigError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`lifeline run: ${message}\n`);
    return 2;
  }

  const [file, ...args] = command;
  if (file === undefined) {
    process.stderr.write(
      'lifeline run: no command given (lifeline run [options] -- <command> [args...])\n',
    );
    await proxy.close(0);
    return 2;
  }
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: { ...process.env, ANTHROPIC_BASE_URL: proxy.url },
  });
  // A terminal sends Ctrl-C (SIGINT) to the whole foreground group, the command included:
  // forwarding it again would deliver it twice. Other signals were sent to lifeline alone.
  const forward = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(signal);
  };
  for (const s of SIGNALS) process.on(s, forward);
  const outcome = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    error?: Error;
  }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const s of SIGNALS) process.off(s, forward);
  await proxy.close(2_000);

  if (outcome.error !== undefined) {
    const code = (outcome.error as { code?: string }).code;
    process.stderr.write(
      `lifeline run: cannot run ${JSON.stringify(file)}: ${code === 'ENOENT' ? 'command not found' : outcome.error.message}\n`,
    );
    return code === 'ENOENT' ? 127 : 126;
  }
  const summary: RunSummary = {
    command,
    exitCode: outcome.code,
    signal: outcome.signal,
    ...summarizeRun(reports),
  };
  if (reportFile !== undefined) writeFileSync(reportFile, `${JSON.stringify(summary, null, 2)}\n`);
  const happened = summary.drops > 0 || summary.failed > 0;
  if (!quiet && happened) process.stderr.write(`${summaryLine(summary)}\n`);
  if (outcome.signal !== null) return 128 + (SIGNAL_NUMBERS[outcome.signal] ?? 1);
  return outcome.code ?? 1;
}
