/**
 * Starts a mock upstream for a test file and stops it after: `const mock = useMock();` then
 * `mock.server.url` inside tests. The request log is cleared before each test.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  loadScenarios,
  type MockServer,
  type MockServerOptions,
  type Scenario,
  startMock,
} from '../../src/mock/index.js';

/** The shipped scenarios. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url));
export const SEED = 'seed-opus-4-6-code-execution';

let cache: Scenario[] | undefined;

/** A shipped scenario by name (loaded once per test file). */
export function fixtureScenario(name: string): Scenario {
  cache ??= loadScenarios(SCENARIOS_DIR);
  const found = cache.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no scenario named ${name} in ${SCENARIOS_DIR}`);
  return found;
}

export interface MockHandle {
  readonly server: MockServer;
  readonly url: string;
}

export function useMock(options: Partial<MockServerOptions> = {}): MockHandle {
  let server: MockServer | undefined;
  beforeAll(async () => {
    server = await startMock({ scenarios: SCENARIOS_DIR, ...options });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => server?.reset());
  return {
    get server() {
      if (server === undefined)
        throw new Error('the mock is not started yet (use it inside a test)');
      return server;
    },
    get url() {
      return this.server.url;
    },
  };
}

/** Headers for a request to the mock. */
export function mockHeaders(
  scenario: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-api-key': 'test-key',
    'anthropic-version': '2023-06-01',
    'x-mock-scenario': scenario,
    ...extra,
  };
}
