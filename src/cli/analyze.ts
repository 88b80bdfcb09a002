/**
 * `lifeline analyze FILE [--json]`: an incident note from a raw captured SSE body or a
 * lifeline trace (see src/diagnose/analyze.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type AnalyzedIncident,
  AnalyzeInputError,
  analyzeFileWithTimeline,
  formatAnalysis,
  renderHtmlReport,
} from '../diagnose/index.js';
import { formatByteSize } from '../message/index.js';

interface AnalyzeFlags {
  readonly json?: boolean;
  readonly html?: string;
  readonly content?: boolean;
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
    .option('--html <file>', 'also write an HTML report (one self-contained file) to FILE')
    .option(
      '--content',
      'show message content in the HTML report (first 2,000 characters per block; off by default)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  curl -sN https://api.anthropic.com/v1/messages ... > capture.sse; lifeline analyze capture.sse\n' +
        '  lifeline analyze traces/2025-11-13T10-07-12-431Z-req_abc.jsonl --json\n' +
        '  lifeline analyze capture.sse --html report.html',
    )
    .action((file: string, flags: AnalyzeFlags) => {
      let analyzed: AnalyzedIncident;
      try {
        analyzed = analyzeFileWithTimeline(file, { keepContent: flags.content === true });
      } catch (err) {
        if (err instanceof AnalyzeInputError) {
          process.stderr.write(`lifeline analyze: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      const { result } = analyzed;
      if (flags.html !== undefined) {
        const page = renderHtmlReport(analyzed);
        try {
          writeFileSync(flags.html, page);
        } catch (err) {
          process.stderr.write(
            `lifeline analyze: cannot write ${flags.html}: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          process.exitCode = 2;
          return;
        }
        process.stderr.write(
          `lifeline analyze: wrote ${flags.html} (${formatByteSize(Buffer.byteLength(page))})\n`,
        );
      }
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatAnalysis(result),
      );
      process.exitCode = 0;
    });
}
