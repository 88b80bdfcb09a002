/**
 * Tests that drive a real client (python3 + httpx, curl, nginx) need it installed. Missing
 * locally: the tests are skipped with a printed reason. Missing under CI=true: a test fails
 * and says what to install, because a CI run that silently skips interop proves nothing.
 */
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

export interface BinaryProbe {
  /** The program to run (a path or a name on PATH). */
  command: string;
  /** Arguments that make it exit 0 when it is usable (default `--version`). */
  args?: string[];
}

/** Why the probe fails, or undefined when the binary is usable. */
export function probeBinary(probe: BinaryProbe): string | undefined {
  const result = spawnSync(probe.command, probe.args ?? ['--version'], {
    stdio: 'pipe',
    timeout: 10_000,
  });
  if (result.error !== undefined) return result.error.message;
  if (result.status !== 0) {
    const stderr = String(result.stderr).trim().split('\n').at(-1) ?? '';
    return `\`${[probe.command, ...(probe.args ?? ['--version'])].join(' ')}\` exited ${result.status}${stderr ? `: ${stderr}` : ''}`;
  }
  return undefined;
}

/**
 * Returns whether `name` is usable. When it is not: under CI=true, registers a failing test
 * naming it; otherwise prints why the tests that need it are skipped. Call at the top level of
 * a test file and guard the suite with `describe.runIf(available)`.
 */
export function requireBinary(name: string, probe: BinaryProbe): boolean {
  const problem = probeBinary(probe);
  if (problem === undefined) return true;
  const reason = `${name} is not available: ${problem}`;
  if (process.env.CI === 'true') {
    it(`needs ${name}`, () => {
      throw new Error(
        `${reason}. CI must install it (see .ci/run); interop tests do not skip under CI=true.`,
      );
    });
  } else {
    console.warn(`[skip] tests that need ${name} are skipped: ${reason}`);
  }
  return false;
}
