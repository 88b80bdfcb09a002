#!/usr/bin/env node
/**
 * `lifeline <command>`: thin. Each command lives in its own module that parses its flags and
 * calls the parts in src/; nothing depends on cli.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { PACKAGE_NAME, VERSION } from '../version.js';

// Command modules: each exports `register(program)`. Keep this list sorted.
const COMMANDS: ReadonlyArray<() => Promise<{ register: (program: Command) => void }>> = [
  // commands:begin
  () => import('./analyze.js'),
  () => import('./demo.js'),
  () => import('./diff.js'),
  () => import('./doctor.js'),
  () => import('./explain.js'),
  () => import('./mock.js'),
  () => import('./proxy.js'),
  () => import('./run.js'),
  () => import('./verify.js'),
  // commands:end
];

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('lifeline')
    .description('Makes a dropped Anthropic Messages stream a non-event.')
    .version(VERSION)
    .addHelpText(
      'after',
      `\nThe ${PACKAGE_NAME} package on npm (${VERSION}). Without installing it:\n` +
        `  npx ${PACKAGE_NAME} <command>      e.g. npx ${PACKAGE_NAME} proxy\n` +
        `Installed (npm install ${PACKAGE_NAME}): npx lifeline <command>`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const load of COMMANDS) (await load()).register(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors with 1 -> 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`lifeline: ${message}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // The bin is usually a symlink (node_modules/.bin/lifeline): compare real paths.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
