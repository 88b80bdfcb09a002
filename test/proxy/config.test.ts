/**
 * Settings: the config file is validated (errors name the file and the field, unknown keys
 * are rejected), layers merge as flags > config file > environment > defaults, and the CLI
 * turns bad input into a one-line error with exit code 2.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import {
  DEFAULT_CONFIG,
  loadProxyConfigFile,
  ProxyConfigError,
  resolveProxyConfig,
} from '../../src/proxy/index.js';
import { fixtureScenarios, startMock } from './support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('config file', () => {
  it('rejects an unknown key, naming the file and the key', () => {
    const path = file('typo.json', '{"stallTimeoutMS": 1000}');
    expect(() => loadProxyConfigFile(path)).toThrow(ProxyConfigError);
    expect(() => loadProxyConfigFile(path)).toThrow(
      new RegExp(`config file ${path}: unknown field\\(s\\) "stallTimeoutMS"`),
    );
  });

  it('rejects a wrong type, naming the field and the value', () => {
    const path = file('type.json', '{"port": "8787"}');
    expect(() => loadProxyConfigFile(path)).toThrow(/field "port": .*\(got "8787"\)/);
  });

  it('rejects an upstream that is not an http(s) URL', () => {
    const path = file('upstream.json', '{"upstream": "api.anthropic.com"}');
    expect(() => loadProxyConfigFile(path)).toThrow(
      /field "upstream": must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('reads the load settings and checks maxBodyBytesByPath paths and sizes', () => {
    const good = file(
      'load.json',
      '{"maxConcurrentRequests": 0, "listenBacklog": 8192, "maxBodyBytesByPath": {"/v1/files": 1024}}',
    );
    expect(loadProxyConfigFile(good)).toEqual({
      maxConcurrentRequests: 0,
      listenBacklog: 8192,
      maxBodyBytesByPath: { '/v1/files': 1024 },
    });
    const badPath = file('by-path.json', '{"maxBodyBytesByPath": {"v1/files": 1024}}');
    expect(() => loadProxyConfigFile(badPath)).toThrow(
      /field "maxBodyBytesByPath.v1\/files": paths start with "\/"/,
    );
    const badSize = file('by-size.json', '{"maxBodyBytesByPath": {"/v1/files": 0}}');
    expect(() => loadProxyConfigFile(badSize)).toThrow(/field "maxBodyBytesByPath.\/v1\/files"/);
    const badBacklog = file('backlog.json', '{"listenBacklog": 0}');
    expect(() => loadProxyConfigFile(badBacklog)).toThrow(/field "listenBacklog"/);
  });

  it('reads the stall settings and refuses an unknown stall mode', () => {
    const good = file(
      'stall.json',
      '{"stall": "fixed", "stallTimeoutMs": 60000, "stallFloorMs": 5000}',
    );
    expect(loadProxyConfigFile(good)).toEqual({
      stall: 'fixed',
      stallTimeoutMs: 60_000,
      stallFloorMs: 5_000,
    });
    const badMode = file('stall-mode.json', '{"stall": "smart"}');
    expect(() => loadProxyConfigFile(badMode)).toThrow(/field "stall".*\(got "smart"\)/);
    const badFloor = file('stall-floor.json', '{"stallFloorMs": 0}');
    expect(() => loadProxyConfigFile(badFloor)).toThrow(/field "stallFloorMs"/);
    expect(resolveProxyConfig({ stallFloorMs: 2_000 }, {})).toMatchObject({
      stall: 'adaptive',
      stallTimeoutMs: 90_000,
      stallFloorMs: 2_000,
    });
  });

  it('reads workers (a whole number from 1, or "auto") and names the field when it is wrong', () => {
    expect(loadProxyConfigFile(file('workers.json', '{"workers": 4}'))).toEqual({ workers: 4 });
    expect(loadProxyConfigFile(file('workers-auto.json', '{"workers": "auto"}'))).toEqual({
      workers: 'auto',
    });
    for (const bad of ['0', '1.5', '"many"']) {
      const path = file('workers-bad.json', `{"workers": ${bad}}`);
      expect(() => loadProxyConfigFile(path)).toThrow(/field "workers"/);
    }
    // Not defaulted: one process unless asked.
    expect(resolveProxyConfig({}, {}).workers).toBeUndefined();
    expect(resolveProxyConfig({ workers: 2 }, {}).workers).toBe(2);
  });

  it('says when the file is missing or not JSON', () => {
    expect(() => loadProxyConfigFile(join(dir, 'nope.json'))).toThrow(
      /cannot read it \(no such file\)/,
    );
    const path = file('bad.json', '{port: 1}');
    expect(() => loadProxyConfigFile(path)).toThrow(
      new RegExp(`config file ${path}: not valid JSON`),
    );
  });
});

describe('precedence: flags > config file > environment > defaults', () => {
  it('takes defaults when nothing is set', () => {
    expect(resolveProxyConfig({}, {})).toMatchObject(DEFAULT_CONFIG);
  });

  it('lets the config file override the environment, and flags override both', () => {
    const path = file('layers.json', '{"port": 2000, "upstream": "http://file.invalid"}');
    const env = {
      LIFELINE_PORT: '1000',
      LIFELINE_HOST: '0.0.0.0',
      LIFELINE_UPSTREAM: 'http://env.invalid',
    };
    const merged = resolveProxyConfig({ config: path, upstream: 'http://flag.invalid' }, env);
    expect(merged.port).toBe(2000);
    expect(merged.host).toBe('0.0.0.0');
    expect(merged.upstream).toBe('http://flag.invalid');
  });

  it('reads the config file named by LIFELINE_CONFIG', () => {
    const path = file('env-named.json', '{"maxAttempts": 3}');
    expect(resolveProxyConfig({}, { LIFELINE_CONFIG: path }).maxAttempts).toBe(3);
  });

  it('names the environment variable when its value is invalid', () => {
    expect(() => resolveProxyConfig({}, { LIFELINE_LOG_LEVEL: 'loud' })).toThrow(
      /environment: LIFELINE_LOG_LEVEL/,
    );
  });
});

/** Runs the CLI; resolves with its exit code and output once it exits. */
function cli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, LIFELINE_CONFIG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr?.on('data', (c) => {
    stderr += String(c);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('lifeline proxy (CLI)', () => {
  it('exits 2 with a one-line error for a bad config file', async () => {
    const path = file('cli-bad.json', '{"prot": 1}');
    const { code, stderr } = await cli(['proxy', '--config', path]).done;
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /lifeline proxy: config file .*cli-bad\.json: unknown field\(s\) "prot"/,
    );
  });

  it('exits 2 for a flag value that is not a number', async () => {
    const { code, stderr } = await cli(['proxy', '--port', 'eighty']).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/--port takes a whole number/);
  });

  it('documents the precedence in --help', async () => {
    const { code, stdout } = await cli(['proxy', '--help']).done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/1\. command-line flags\s+2\. the JSON config file.*\s+3\. environment/);
    for (const flag of [
      '--max-body-bytes',
      '--max-concurrent-requests',
      '--listen-backlog',
      '--stall <mode>',
      '--stall-floor-ms',
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toMatch(/529 overloaded_error/);
    expect(stdout).toMatch(/GET \/readyz/);
    expect(stdout).toMatch(/choices: "adaptive",\s+"fixed"/);
  });

  it('refuses a stall mode it does not know', async () => {
    const { code, stderr } = await cli(['proxy', '--stall', 'smart']).done;
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/option '--stall <mode>' argument 'smart' is invalid/);
  });

  it('serves until SIGTERM, then shuts down and exits 0', async () => {
    let mock: MockServer | undefined;
    try {
      mock = await startMock({ scenarios: fixtureScenarios().slice(0, 1) });
      const run = cli([
        'proxy',
        '--port',
        '0',
        '--upstream',
        mock.url,
        '--shutdown-deadline-ms',
        '500',
      ]);
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        run.child.stderr?.on('data', (c) => {
          text += String(c);
          const m = /listening on (http:\/\/[^,]+),/.exec(text);
          if (m) resolve(m[1] as string);
        });
        run.child.on('close', () => reject(new Error(`exited early: ${text}`)));
      });
      const health = await request(`${url}/healthz`);
      expect(await health.body.json()).toEqual({ status: 'ok' });
      run.child.kill('SIGTERM');
      const { code, stdout } = await run.done;
      expect(code).toBe(0);
      expect(stdout).toContain('"msg":"lifeline proxy stopped"');
    } finally {
      await mock?.close();
    }
  });
});
