/**
 * Fails when docs/api/ (the API reference TypeDoc generates from the TSDoc comments of the
 * package's entry points) is out of date, or when TypeDoc warns: an exported name without
 * documentation, a broken link, a type the reference names but cannot show (typedoc.json has
 * treatWarningsAsErrors). Part of `npm test`'s pretest chain; `npm run docs:api` regenerates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = join(root, 'docs', 'api');
const fresh = mkdtempSync(join(tmpdir(), 'lifeline-api-'));

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

try {
  try {
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'),
        '--out',
        fresh,
        '--logLevel',
        'Warn',
      ],
      { cwd: root, stdio: 'inherit' },
    );
  } catch {
    console.error('docs:api: TypeDoc reported the problems above: fix the TSDoc comments.');
    process.exit(1);
  }
  const want = files(fresh);
  const have = files(committed);
  const problems = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing: docs/api/${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `no longer generated: docs/api/${f}`),
    ...want
      .filter((f) => have.includes(f))
      .filter((f) => !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
      .map((f) => `out of date: docs/api/${f}`),
  ];
  if (problems.length > 0) {
    console.error(
      `docs:api: the API reference does not match the TSDoc comments:\n  ${problems.join('\n  ')}\n` +
        'Run `npm run docs:api` and commit docs/api/.',
    );
    process.exit(1);
  }
  console.log(`docs:api: docs/api/ is up to date (${want.length} files).`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
