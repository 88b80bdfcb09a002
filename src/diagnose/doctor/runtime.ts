/**
 * Runtimes and SDK versions: Node (and its bundled undici), the Python interpreters a program
 * might run under (with their anthropic/httpx/httpcore versions), and the JavaScript SDKs
 * that resolve from a working directory.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Env } from './env.js';
import type { JsPackageReport, PythonReport } from './snapshot.js';

/** The Python packages whose versions decide how a Python client streams. */
export const PYTHON_PACKAGES = ['anthropic', 'httpx', 'httpcore'] as const;

/** JavaScript packages looked up from the working directory. */
export const JS_PACKAGES = ['@anthropic-ai/sdk', 'ai', '@ai-sdk/anthropic', 'undici'] as const;

/**
 * Prints one JSON line: version, executable and package versions. importlib.metadata finds
 * distro-packaged modules too (Debian's python3-httpx), unlike pip.
 */
const PYTHON_PROBE = [
  'import json, sys',
  'from importlib import metadata',
  'def v(n):',
  '    try: return metadata.version(n)',
  '    except Exception: return None',
  `print(json.dumps({"version": sys.version.split()[0], "executable": sys.executable, "packages": {n: v(n) for n in ${JSON.stringify(PYTHON_PACKAGES)}}}))`,
].join('\n');

export function nodeRuntime(): { version: string; major: number; undici: string | null } {
  const versions: Record<string, string | undefined> = process.versions;
  return {
    version: process.version,
    major: Number(process.versions.node.split('.')[0]),
    undici: versions.undici ?? null,
  };
}

/** Runs each Python command with a one-line probe; a missing command is reported, not thrown. */
export async function probePythons(
  commands: readonly string[],
  env: Env,
  timeoutMs: number,
): Promise<PythonReport[]> {
  return Promise.all(commands.map((command) => probePython(command, env, timeoutMs)));
}

function probePython(command: string, env: Env, timeoutMs: number): Promise<PythonReport> {
  const empty = Object.fromEntries(PYTHON_PACKAGES.map((p) => [p, null]));
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', PYTHON_PROBE],
      { timeout: timeoutMs, env: { ...env }, windowsHide: true },
      (error, stdout) => {
        if (error !== null) {
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          resolve({
            command,
            found: !missing,
            version: null,
            executable: null,
            packages: empty,
            error: missing ? 'not found' : firstLine(error.message),
          });
          return;
        }
        try {
          const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
            version: string;
            executable: string;
            packages: Record<string, string | null>;
          };
          resolve({
            command,
            found: true,
            version: parsed.version,
            executable: parsed.executable,
            packages: { ...empty, ...parsed.packages },
            error: null,
          });
        } catch {
          resolve({
            command,
            found: true,
            version: null,
            executable: null,
            packages: empty,
            error: 'unreadable probe output',
          });
        }
      },
    );
  });
}

/**
 * Finds each package the way Node resolution would from `cwd`: the nearest
 * node_modules/<name>/package.json walking up. Reading package.json directly avoids
 * `exports` maps that hide it from require.resolve.
 */
export async function probeJsPackages(cwd: string): Promise<JsPackageReport[]> {
  return Promise.all(
    JS_PACKAGES.map(async (name) => {
      for (let dir = cwd; ; dir = dirname(dir)) {
        const path = join(dir, 'node_modules', name);
        try {
          const pkg = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as {
            version?: unknown;
          };
          return { name, version: typeof pkg.version === 'string' ? pkg.version : null, path };
        } catch {
          // Not here: keep walking up.
        }
        if (dirname(dir) === dir) return { name, version: null, path: null };
      }
    }),
  );
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 200) ?? '';
}
