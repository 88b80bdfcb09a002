/**
 * The public API, pinned: every name each entry point of package.json `exports` gives users
 * (values and types). A change to these lists is a change to the public API: deliberate, and
 * under semver (README, "Version policy"); internals stay out.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = [
  'AttemptRecord',
  'ContinuationForm',
  'DEFAULT_RETRY_POLICY',
  'DiscardedContent',
  'EngineOptions',
  'EngineResult',
  'Failure',
  'FailureKind',
  'FetchLike',
  'LifelineError',
  'LifelineFetchOptions',
  'LifelineLogger',
  'LifelineOptions',
  'MessageParamLike',
  'MessageRequestBody',
  'ModelTable',
  'ReconnectOptions',
  'RecoveryReport',
  'RetryPolicy',
  'SeamRecord',
  'SeamRemoval',
  'SeamRule',
  'Send',
  'SendRequest',
  'SplicerOptions',
  'StallMode',
  'Strategy',
  'StreamInterruptedError',
  'TraceSink',
  'UpstreamResponse',
  'VERSION',
  'lifelineFetch',
  'lifelineMiddleware',
  'runStream',
  'summarize',
];

const SSE = [
  'DEFAULT_MAX_EVENT_SIZE',
  'SseDecoder',
  'SseDecoderOptions',
  'SseError',
  'SseErrorOptions',
  'SseErrorType',
  'SseEvent',
  'SseFrame',
  'SseFramer',
  'SseFramerOptions',
  'encodeComment',
  'encodeEvent',
  'encodeJsonEvent',
];

const MOCK = [
  'ContinuationRules',
  'FAULT_KINDS',
  'Fault',
  'FaultKind',
  'FaultMap',
  'MockRequestRecord',
  'MockServer',
  'MockServerOptions',
  'SEED_SCENARIO_NAME',
  'Scenario',
  'ScenarioError',
  'ScenarioFile',
  'builtinScenarioFiles',
  'builtinScenarios',
  'faultMapSchema',
  'faultSchema',
  'loadScenarioFile',
  'loadScenarios',
  'parseScenario',
  'shippedScenarios',
  'startMock',
];

interface Manifest {
  exports: Record<string, string | { types: string; default: string }>;
}
const manifest = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as Manifest;

/** The source file behind an export's `import` target (dist/x/y.js -> src/x/y.ts). */
function sourceOf(subpath: string): string {
  const target = manifest.exports[subpath];
  if (typeof target !== 'object') throw new Error(`exports["${subpath}"] has no default target`);
  return target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
}

/** Every name a module exports, values and types, as TypeScript sees it. */
function exportedNames(files: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram([...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (symbol === undefined) throw new Error(`${file}: not a module`);
    result.set(
      file,
      checker.getExportsOfModule(symbol).map((s) => s.name),
    );
  }
  return result;
}

const sort = (names: readonly string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('public API', () => {
  it('package.json exports exactly the root, /sse, /mock and package.json', () => {
    expect(Object.keys(manifest.exports)).toStrictEqual(['.', './sse', './mock', './package.json']);
  });

  it('each entry point exports exactly its pinned names', () => {
    const files = { '.': sourceOf('.'), './sse': sourceOf('./sse'), './mock': sourceOf('./mock') };
    const names = exportedNames(Object.values(files));
    expect(sort(names.get(files['.']) ?? [])).toStrictEqual(sort(ROOT));
    expect(sort(names.get(files['./sse']) ?? [])).toStrictEqual(sort(SSE));
    expect(sort(names.get(files['./mock']) ?? [])).toStrictEqual(sort(MOCK));
  });

  it('no name means two things: a name in two entry points is the same export', async () => {
    const [root, sse, mock] = await Promise.all([
      import('../../src/index.js'),
      import('../../src/sse/index.js'),
      import('../../src/mock/public.js'),
    ]);
    const modules: Record<string, Record<string, unknown>> = { root, sse, mock };
    const seen = new Map<string, unknown>();
    for (const [entry, module] of Object.entries(modules)) {
      for (const [name, value] of Object.entries(module)) {
        if (seen.has(name)) expect(value, `${entry}.${name}`).toBe(seen.get(name));
        seen.set(name, value);
      }
    }
  });
});
