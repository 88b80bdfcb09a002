/**
 * `lifeline explain "<error text>" | --file F | -`: names the failure behind an error message
 * or traceback (see src/diagnose/explain.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import pc from 'picocolors';
import { explain, explainToJson, renderExplain } from '../diagnose/index.js';

interface ExplainFlags {
  readonly file?: string;
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('say what an error message or traceback means, its causes and fixes')
    .argument('[text...]', 'the error text ("-" reads it from stdin)')
    .option('-f, --file <path>', 'read the error text from a file')
    .option('--json', 'print JSON (schema lifeline.explain/1)')
    .addHelpText(
      'after',
      '\nExamples:\n  lifeline explain "httpx.RemoteProtocolError: peer closed connection ..."\n  lifeline explain --file traceback.txt\n  pbpaste | lifeline explain -',
    )
    .action(async (words: string[], flags: ExplainFlags) => {
      const text = await readInput(words, flags);
      if (text === undefined) return;
      const result = explain(text);
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(explainToJson(result), null, 2)}\n`);
      } else {
        const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
        process.stdout.write(renderExplain(result, pc.createColors(color)));
      }
    });
}

/** The text to explain, or undefined after reporting bad input (exit code 2). */
async function readInput(
  words: readonly string[],
  flags: ExplainFlags,
): Promise<string | undefined> {
  const fromStdin = words.length === 1 && words[0] === '-';
  if (flags.file !== undefined && words.length > 0) {
    return badInput('give the error text one way: as an argument, with --file, or "-" for stdin');
  }
  let text: string;
  let source: string;
  if (flags.file !== undefined) {
    source = flags.file;
    try {
      text = await readFile(flags.file, 'utf8');
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
      return badInput(`cannot read ${flags.file}: ${reason}`);
    }
  } else if (fromStdin) {
    source = 'stdin';
    text = await readStdin();
  } else if (words.length > 0) {
    source = 'the argument';
    text = words.join(' ');
  } else {
    return badInput(
      'no error text: pass it as an argument, with --file <path>, or "-" to read stdin',
    );
  }
  if (text.trim() === '') return badInput(`the error text from ${source} is empty`);
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function badInput(message: string): undefined {
  process.stderr.write(`lifeline explain: ${message}\n`);
  process.exitCode = 2;
  return undefined;
}
