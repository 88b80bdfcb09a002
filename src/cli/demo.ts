/**
 * `lifeline demo`: the reported failure, reproduced and recovered on the built-in mock, with no
 * API key and no network. It runs the same request twice against a mock that closes the socket
 * 20 bytes into a `text_editor_code_execution` tool input after 38 content blocks: once with the
 * plain `@anthropic-ai/sdk` (it fails, as in the incident), once through lifeline's middleware
 * (it completes), and prints the recovery report.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { analyzeBytes } from '../diagnose/index.js';
import { lifelineMiddleware } from '../integrations/index.js';
import { shippedScenarios, startMock } from '../mock/index.js';
import type { RecoveryReport } from '../resume/index.js';
import { PACKAGE_NAME } from '../version.js';

export const SEED_SCENARIO = 'seed-opus-4-6-code-execution';

/** What `demo` prints when `@anthropic-ai/sdk` (an optional peer dependency) is not installed. */
export const DEMO_NEEDS_SDK =
  "lifeline demo: the demo runs the plain @anthropic-ai/sdk and then lifeline's SDK middleware, " +
  'and @anthropic-ai/sdk (an optional peer dependency) is not installed here. Install it beside ' +
  `${PACKAGE_NAME} (npm install @anthropic-ai/sdk), or run ` +
  `npx -p ${PACKAGE_NAME} -p @anthropic-ai/sdk lifeline demo`;

type AnthropicModule = typeof import('@anthropic-ai/sdk');

/** The SDK, loaded only when the demo runs: the rest of the CLI works without it. */
async function loadSdk(): Promise<AnthropicModule | undefined> {
  try {
    return await import('@anthropic-ai/sdk');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) parts.push(`${e.name}: ${e.message}`);
    else parts.push(String(e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n     caused by ');
}

export async function runDemo(
  write: (line: string) => void,
  scenarioName = SEED_SCENARIO,
): Promise<number> {
  const sdk = await loadSdk();
  if (sdk === undefined) {
    write(DEMO_NEEDS_SDK);
    return 2;
  }
  const Anthropic = sdk.default;
  const { scenarios } = shippedScenarios();
  const scenario = scenarios.find((s) => s.name === scenarioName);
  if (scenario === undefined) {
    write(
      `lifeline demo: no scenario named ${scenarioName} (have: ${scenarios.map((s) => s.name).join(', ')})`,
    );
    return 2;
  }
  const mock = await startMock({ scenarios: [scenario] });
  try {
    const params = {
      model: scenario.message.model,
      max_tokens: 16_000,
      betas: scenario.betas,
      messages: [{ role: 'user' as const, content: 'Build the report with the xlsx skill.' }],
    };
    write(
      pc.bold(
        'lifeline demo: the reported mid-stream drop, on the built-in mock (no API key, no network)',
      ),
    );
    write(`scenario ${scenario.name}: ${scenario.description}`);
    write('');

    write(pc.bold('1. The plain @anthropic-ai/sdk'));
    // Keep a copy of the bytes the plain client received, as `curl -sN > capture.sse` would.
    const captured: Uint8Array[] = [];
    const plain = new Anthropic({
      apiKey: 'demo-key',
      baseURL: mock.url,
      maxRetries: 2,
      defaultHeaders: { 'x-mock-run': 'demo-plain' },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.body === null) return response;
        const [mine, theirs] = response.body.tee();
        void (async () => {
          const reader = mine.getReader();
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              captured.push(value);
            }
          } catch {
            // the same failure the client sees
          }
        })();
        return new Response(theirs, response);
      },
    });
    const plainStream = plain.beta.messages.stream(params);
    let blocks = 0;
    plainStream.on('contentBlock', () => {
      blocks++;
    });
    try {
      await plainStream.finalMessage();
      write(pc.yellow('   completed (the fault did not trigger?)'));
    } catch (err) {
      write(
        `   ${pc.red('failed')} after ${blocks} complete content blocks; the turn and its tokens are lost:`,
      );
      write(`     ${describeError(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the copy see the end too
      write(
        `   lifeline analyze on the captured bytes: ${analyzeBytes(Buffer.concat(captured)).summary}`,
      );
    }
    write('');

    write(pc.bold('2. The same request through lifeline (SDK middleware)'));
    let report: RecoveryReport | undefined;
    const protectedClient = new Anthropic({
      apiKey: 'demo-key',
      baseURL: mock.url,
      maxRetries: 2,
      defaultHeaders: { 'x-mock-run': 'demo-lifeline' },
      middleware: [
        lifelineMiddleware({
          logger: false,
          onReport: (r) => {
            report = r;
          },
        }),
      ],
    });
    const message = await protectedClient.beta.messages.stream(params).finalMessage();
    const expected = scenario.message.content.length;
    const ok =
      message.content.length === expected && message.stop_reason === scenario.message.stop_reason;
    write(
      `   ${ok ? pc.green('completed') : pc.red('completed, but differs from the scenario')}: ` +
        `${message.content.length} content blocks (scenario: ${expected}), stop_reason ${message.stop_reason}` +
        (message.container ? `, container ${message.container.id}` : ''),
    );
    if (report !== undefined) {
      write(`   recovery: ${report.outcome} after ${report.attempts.length} attempts`);
      for (const a of report.attempts) {
        write(
          `     attempt ${a.attempt} (${a.strategy}): ${a.events} events, ${a.bytes} bytes` +
            (a.failure ? `, ${pc.red(a.failure.kind)}: ${a.failure.message}` : ', completed'),
        );
      }
      write(
        `   discarded ${report.discardedBytes} held-back bytes (the partial tool input, regenerated); ` +
          `added latency ${Math.round(report.addedLatencyMs)} ms; container ${report.containerId ?? 'none'} reused`,
      );
    }
    write('');
    write(
      'Next: `lifeline mock --help` (scenarios and faults), `lifeline proxy --help` (protect any client),',
    );
    write('`lifeline explain "<error text>"` and `lifeline analyze <capture>` (diagnose a drop).');
    return ok ? 0 : 1;
  } finally {
    await mock.close();
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'reproduce the reported mid-stream drop on the built-in mock, then recover it through lifeline',
    )
    .option('--scenario <name>', 'a shipped scenario name', SEED_SCENARIO)
    .action(async (opts: { scenario: string }) => {
      process.exitCode = await runDemo((line) => process.stdout.write(`${line}\n`), opts.scenario);
    });
}
