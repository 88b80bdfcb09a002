/**
 * `lifeline diff a.json b.json [--json]`: ranks the differences between two doctor snapshots
 * by how likely they are to cause a mid-stream failure (see src/diagnose/diff.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  type DoctorSnapshot,
  diffSnapshots,
  parseDoctorSnapshot,
  renderDiff,
  SnapshotError,
} from '../diagnose/index.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('compare two `lifeline doctor --json` snapshots, riskiest difference first')
    .argument('<a>', 'first snapshot (e.g. from a host where streams fail)')
    .argument('<b>', 'second snapshot (e.g. from a host where they work)')
    .option('--json', 'print JSON (schema lifeline.diff/1)')
    .action(async (a: string, b: string, flags: { json?: boolean }) => {
      const first = await load(a);
      if (first === undefined) return;
      const second = await load(b);
      if (second === undefined) return;
      const diff = diffSnapshots(first, second);
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
      } else {
        const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
        process.stdout.write(renderDiff(diff, { a, b }, pc.createColors(color)));
      }
    });
}

/** Reads and checks a snapshot, or reports why not (exit code 2) and returns undefined. */
async function load(path: string): Promise<DoctorSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
    return badInput(`cannot read ${path}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return badInput(
      `${path} is not JSON; create a snapshot with \`lifeline doctor --json > ${path}\``,
    );
  }
  try {
    return parseDoctorSnapshot(json, path);
  } catch (err) {
    if (err instanceof SnapshotError) return badInput(err.message);
    throw err;
  }
}

function badInput(message: string): undefined {
  process.stderr.write(`lifeline diff: ${message}\n`);
  process.exitCode = 2;
  return undefined;
}
