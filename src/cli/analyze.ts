/**
 * `lifeline analyze FILE [--json]`: an incident note from a raw captured SSE body or a
 * lifeline trace (see src/diagnose/analyze.ts).
 */
import type { Command } from 'commander';
import { AnalyzeInputError, analyzeFile, formatAnalysis } from '../diagnose/index.js';

interface AnalyzeFlags {
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('say where a captured or traced stream died, and what lifeline does about it')
    .argument(
      '<file>',
      'a raw SSE capture (curl -sN ... > capture.sse) or a lifeline trace (.jsonl)',
    )
    .option('--json', 'print JSON (schema lifeline.analyze/1)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  curl -sN https://api.anthropic.com/v1/messages ... > capture.sse; lifeline analyze capture.sse\n' +
        '  lifeline analyze traces/2025-11-13T10-07-12-431Z-req_abc.jsonl --json',
    )
    .action((file: string, flags: AnalyzeFlags) => {
      let result: ReturnType<typeof analyzeFile>;
      try {
        result = analyzeFile(file);
      } catch (err) {
        if (err instanceof AnalyzeInputError) {
          process.stderr.write(`lifeline analyze: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatAnalysis(result),
      );
      process.exitCode = 0;
    });
}
