/** Runs `lifeline` in-process for tests, capturing its output and exit code (stdout not a TTY unless asked). */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function cli(
  args: string[],
  options: { tty?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err += String(chunk);
    return true;
  });
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', {
    value: options.tty === true,
    configurable: true,
  });
  for (const [name, value] of Object.entries(options.env ?? {})) vi.stubEnv(name, value);
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    if (tty === undefined) Reflect.deleteProperty(process.stdout, 'isTTY');
    else Object.defineProperty(process.stdout, 'isTTY', tty);
    vi.unstubAllEnvs();
    process.exitCode = undefined;
  }
}
