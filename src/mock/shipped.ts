/**
 * Where the shipped scenarios are: `test/fixtures/scenarios/` beside `src/` (tsx) and `dist/`
 * (built), so `node dist/cli/main.js mock` works from a clone. An installed package ships
 * `dist/` only: then the same scenarios come from their builders.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinScenarios } from './builtin/index.js';
import { loadScenarios, type Scenario } from './scenario.js';

/** The shipped scenario directory, whether or not it exists. */
export function shippedScenarioDir(): string {
  return fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url));
}

/** The shipped scenarios, and where they came from (the directory, or `built-in`). */
export function shippedScenarios(): { scenarios: Scenario[]; source: string } {
  const dir = shippedScenarioDir();
  if (existsSync(dir)) return { scenarios: loadScenarios(dir), source: dir };
  return { scenarios: builtinScenarios(), source: 'built-in' };
}
