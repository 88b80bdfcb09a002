/**
 * The install path a user takes, for real: `npm pack` this repository, install the tarball into
 * an empty folder (its dependencies from the npm registry), then use it only through what was
 * installed: `npx lifeline --help`, the proxy in front of the mock with curl through it, the
 * diagnostics, `demo` without and with `@anthropic-ai/sdk` (an optional peer dependency, at the
 * oldest version of its range), ESM `import` and CommonJS `require()` of every entry point, and a
 * TypeScript consumer type-checked with moduleResolution node16 and bundler.
 *
 * Needs a built dist/ (`npm test` builds first), the npm registry, and curl (CI installs it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  peerDependencies: Record<string, string>;
};
const NAME = manifest.name;
/** The oldest `@anthropic-ai/sdk` the peer range admits (`^1.0.0` -> `1.0.0`). */
const OLDEST_SDK = (manifest.peerDependencies['@anthropic-ai/sdk'] ?? '').replace(/^[\^~>=]+/, '');
const SEED = 'seed-opus-4-6-code-execution';
const INSTALL_TIMEOUT_MS = 180_000;

const hasCurl = requireBinary('curl', { command: 'curl', args: ['--version'] });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeout = 120_000,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      {
        cwd,
        timeout,
        maxBuffer: 64 * 1024 * 1024,
        // No colour codes in what the assertions read; npm quiet and offline-tolerant.
        env: {
          ...process.env,
          NO_COLOR: '1',
          FORCE_COLOR: '0',
          npm_config_update_notifier: 'false',
        },
      },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

async function ok(command: string, args: readonly string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** A long-running command in its own process group; resolves with the URL it says it listens on. */
function serve(
  args: readonly string[],
  cwd: string,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', [...args], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" from ${args.join(' ')}:\n${seen}`)),
      60_000,
    );
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/[^\s,]+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code} before listening:\n${seen}`));
    });
  });
}

function stop(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // the group we started: npx and the node it runs
  } catch {
    // already gone
  }
}

describe.runIf(hasCurl)(`${NAME} installed from its tarball`, () => {
  let work = '';
  let app = '';
  let tarball = '';
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist/cli/main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
    }
    work = mkdtempSync(join(tmpdir(), 'lifeline-pack-'));
    app = join(work, 'app');
    mkdirSync(app);
    const packed = await ok(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', work],
      REPO,
    );
    tarball = join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    );
    await ok('npm', ['install', '--no-audit', '--no-fund', tarball], app);
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    for (const child of servers) stop(child);
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('installs without the SDK: the optional peer dependency is not pulled in', () => {
    expect(existsSync(join(app, 'node_modules', NAME, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@anthropic-ai/sdk'))).toBe(false);
  });

  it('ships the licenses of its third-party code (Apache-2.0 section 4, MIT)', () => {
    const installed = join(app, 'node_modules', NAME);
    const notices = readFileSync(join(installed, 'THIRD_PARTY_NOTICES.md'), 'utf8');
    expect(notices).toContain('src/message/vendor/partial-json.ts');
    expect(readFileSync(join(installed, 'LICENSES/Apache-2.0.txt'), 'utf8')).toMatch(
      /Apache License\s+Version 2\.0, January 2004/,
    );
    expect(readFileSync(join(installed, 'LICENSES/MIT-partial-json-parser.txt'), 'utf8')).toMatch(
      /Copyright \(c\) 2017 indgov[\s\S]*Permission is hereby granted/,
    );
    // The vendored file keeps its attribution in the compiled output.
    const vendored = readFileSync(join(installed, 'dist/message/vendor/partial-json.js'), 'utf8');
    expect(vendored).toMatch(
      /Copyright 2023 Anthropic, PBC; licensed under the Apache License 2\.0/,
    );
  });

  it('`npx lifeline --help` and `npx <name> --help` run the installed CLI', async () => {
    for (const args of [
      ['lifeline', '--help'],
      [NAME, '--help'],
    ]) {
      const { stdout } = await ok('npx', args, app);
      expect(stdout).toMatch(/Usage: lifeline/);
      for (const command of ['proxy', 'mock', 'demo', 'explain', 'doctor', 'analyze', 'verify']) {
        expect(stdout).toContain(command);
      }
    }
    expect((await ok('npx', ['lifeline', '--version'], app)).stdout.trim()).toBe(manifest.version);
  });

  it(
    "the README's npx commands, uninstalled (the tarball in place of the registry name)",
    async () => {
      const empty = join(work, 'empty');
      mkdirSync(empty);
      // `npx anthropic-stream-resume <command>`: one bin, so npx runs it whatever its name. (A
      // bare path would be run as a command: `file:` makes it a package spec, as a name is.)
      const help = await ok('npx', ['--yes', `file:${tarball}`, '--help'], empty);
      expect(help.stdout).toMatch(/Usage: lifeline/);
      // `npx -p anthropic-stream-resume -p @anthropic-ai/sdk lifeline demo`
      const demo = await ok(
        'npx',
        ['--yes', '-p', tarball, '-p', '@anthropic-ai/sdk', 'lifeline', 'demo'],
        empty,
      );
      expect(demo.stdout).toMatch(/completed: 41 content blocks \(scenario: 41\)/);
      // npx installs both packages, the SDK from the registry: an install's time on a busy machine.
    },
    INSTALL_TIMEOUT_MS,
  );

  it('`demo` without the SDK says how to install it and exits 2', async () => {
    const result = await run('npx', ['lifeline', 'demo'], app);
    expect(result.code).toBe(2);
    // One line, no stack trace.
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|\n\s+at /);
    expect(result.stdout).toContain('npm install @anthropic-ai/sdk');
    expect(result.stdout).toContain(`npx -p ${NAME} -p @anthropic-ai/sdk lifeline demo`);
  });

  it('the proxy in front of the mock recovers the seed drop for curl, without the SDK', async () => {
    const mock = await serve(['lifeline', 'mock', '--port', '0'], app);
    servers.push(mock.child);
    const proxy = await serve(['lifeline', 'proxy', '--port', '0', '--upstream', mock.url], app);
    servers.push(proxy.child);
    const result = await ok(
      'curl',
      [
        '-sN',
        '-D',
        '-',
        `${proxy.url}/v1/messages`,
        '-H',
        'x-api-key: test-key',
        '-H',
        'anthropic-version: 2023-06-01',
        '-H',
        'anthropic-beta: code-execution-2025-08-25,skills-2025-10-02',
        '-H',
        'content-type: application/json',
        '-H',
        `x-mock-scenario: ${SEED}`,
        '-d',
        JSON.stringify({
          model: 'claude-opus-4-6',
          max_tokens: 32000,
          stream: true,
          messages: [{ role: 'user', content: 'Build the quarterly sales report.' }],
        }),
      ],
      app,
    );
    expect(result.stdout).toMatch(/^x-lifeline: protected\r?$/im);
    // The scenario's own fault drops attempt 1 mid tool input; the client sees one whole stream.
    expect(result.stdout.match(/^event: message_start$/gm)).toHaveLength(1);
    expect(result.stdout.match(/^event: content_block_start$/gm)).toHaveLength(41);
    expect(result.stdout.match(/^event: message_stop$/gm)).toHaveLength(1);
    expect(result.stdout).not.toMatch(/^event: error$/m);
  });

  it('the diagnostics run without the SDK', async () => {
    const { stdout } = await ok(
      'npx',
      ['lifeline', 'explain', 'TypeError: terminated (cause: SocketError: other side closed)'],
      app,
    );
    expect(stdout).toMatch(/other side closed|terminated/i);
  });

  it('a TypeScript user of lifelineFetch type-checks without the SDK (skipLibCheck)', async () => {
    writeFileSync(
      join(app, 'fetch-only.ts'),
      `import { lifelineFetch, type RecoveryReport, StreamInterruptedError } from '${NAME}';
const wrapped: typeof fetch = lifelineFetch({ onReport: (r: RecoveryReport) => console.log(r.outcome) });
export { StreamInterruptedError, wrapped };
`,
    );
    writeFileSync(
      join(app, 'tsconfig.fetch-only.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'node16',
          moduleResolution: 'node16',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          // Our declarations name the SDK's types; without the SDK they are unresolved, which
          // only a consumer that checks libraries' declarations (skipLibCheck: false) sees.
          skipLibCheck: true,
        },
        files: ['fetch-only.ts'],
      }),
    );
    const tsc = await run(
      process.execPath,
      [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.fetch-only.json'],
      app,
    );
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('every entry point imports as ESM and loads through require() (Node >= 20.19)', async () => {
    const script = `
      const entries = ['${NAME}', '${NAME}/sse', '${NAME}/mock'];
      const esm = await Promise.all(entries.map((e) => import(e)));
      const { createRequire } = await import('node:module');
      const cjs = entries.map((e) => createRequire(import.meta.url)(e));
      console.log(JSON.stringify({
        esm: esm.map((m) => Object.keys(m).length),
        cjs: cjs.map((m) => Object.keys(m).length),
        version: esm[0].VERSION,
        root: typeof esm[0].lifelineMiddleware + typeof esm[0].runStream,
      }));`;
    writeFileSync(join(app, 'load.mjs'), script);
    const out = JSON.parse((await ok('node', ['load.mjs'], app)).stdout) as {
      esm: number[];
      cjs: number[];
      version: string;
      root: string;
    };
    expect(out.version).toBe(manifest.version);
    expect(out.root).toBe('functionfunction');
    expect(out.esm.every((n) => n > 0)).toBe(true);
    expect(out.cjs).toStrictEqual(out.esm);
  });

  it(
    `with @anthropic-ai/sdk@${OLDEST_SDK} (the oldest supported): demo recovers, and a TypeScript consumer type-checks (node16, bundler)`,
    async () => {
      await ok(
        'npm',
        ['install', '--no-audit', '--no-fund', `@anthropic-ai/sdk@${OLDEST_SDK}`, '@types/node@20'],
        app,
      );
      const demo = await ok('npx', ['lifeline', 'demo'], app);
      expect(demo.stdout).toMatch(/failed after 38 complete content blocks/);
      expect(demo.stdout).toMatch(/completed: 41 content blocks \(scenario: 41\)/);

      writeFileSync(
        join(app, 'consumer.ts'),
        `import Anthropic from '@anthropic-ai/sdk';
import {
  lifelineFetch,
  lifelineMiddleware,
  type RecoveryReport,
  type SeamRecord,
  StreamInterruptedError,
  summarize,
  VERSION,
} from '${NAME}';
import { startMock, type Scenario } from '${NAME}/mock';
import { SseDecoder } from '${NAME}/sse';

const reports: RecoveryReport[] = [];
const client = new Anthropic({
  apiKey: 'k',
  middleware: [lifelineMiddleware({ onReport: (r) => reports.push(r) })],
});
const wrapped: typeof fetch = lifelineFetch();
const seams: SeamRecord[] = reports.flatMap((r) => r.seams);
const text: string = summarize(reports[0]!) + VERSION;
const scenarios: Scenario[] = [];
void startMock({ scenarios });
void new SseDecoder();
try {
  await client.messages.create({ model: 'claude-opus-4-6', max_tokens: 1, messages: [] });
} catch (err) {
  if (err instanceof StreamInterruptedError) console.log(err.partial?.content.length, err.report.outcome);
}
// @ts-expect-error internals are not part of the package's exports
import('${NAME}/dist/resume/planner.js');
export { client, seams, text, wrapped };
`,
      );
      for (const resolution of ['node16', 'bundler'] as const) {
        const config = {
          compilerOptions: {
            target: 'ES2023',
            module: resolution === 'node16' ? 'node16' : 'esnext',
            moduleResolution: resolution,
            lib: ['ES2023', 'DOM'],
            types: ['node'],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
          },
          files: ['consumer.ts'],
        };
        writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(config));
        const tsc = await run(
          process.execPath,
          [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`],
          app,
        );
        expect(`${resolution}: ${tsc.stdout}${tsc.stderr}`).toBe(`${resolution}: `);
        expect(tsc.code).toBe(0);
      }
    },
    INSTALL_TIMEOUT_MS,
  );
});
