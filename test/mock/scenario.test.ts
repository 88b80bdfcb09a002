import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  claudeVersion,
  loadScenarios,
  modelAllowsPrefill,
  parseScenario,
  ScenarioError,
  scenarioAllowsPrefill,
} from '../../src/mock/index.js';
import { SCENARIOS_DIR } from '../helpers/mock.js';

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Hi.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};

function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('parseScenario', () => {
  it('fills the defaults of every optional field', () => {
    const s = parseScenario({ name: 'tiny', message }, 'tiny.json');
    expect(s).toMatchObject({
      name: 'tiny',
      betas: [],
      requireBetas: false,
      chunking: { text: 8, json: 64 },
      eventsPerWrite: 1,
      prefill: 'auto',
      restate: 0,
      continuationThinking: false,
      faults: {},
    });
  });

  it('reads the continuation behaviours, and sets none of them by default', () => {
    const plain = parseScenario({ name: 'tiny', message }, 'tiny.json');
    for (const field of [
      'restartWord',
      'restateChars',
      'restateLines',
      'restateAll',
      'reopenFence',
      'preamble',
    ]) {
      expect(plain).not.toHaveProperty(field);
    }
    const s = parseScenario(
      {
        name: 'code',
        message,
        restateLines: 2,
        reopenFence: 'bare',
        preamble: 'Continuing:',
        continuationThinking: true,
      },
      'code.json',
    );
    expect(s).toMatchObject({
      restate: 0,
      restateLines: 2,
      reopenFence: 'bare',
      preamble: 'Continuing:',
      continuationThinking: true,
    });
  });

  it('rejects two restatements, naming the second and the first', () => {
    const err = errorOf(() =>
      parseScenario({ name: 'x', message, restate: 2, restateChars: 4 }, 'x.json'),
    );
    expect(err.message).toBe(
      'scenario x.json: restateChars: a continuation turn restates one way: restate is set too (choose one of restate, restartWord, restateChars, restateLines, restateAll)',
    );
    expect(
      errorOf(() =>
        parseScenario({ name: 'x', message, restartWord: true, restateAll: true }, 'x.json'),
      ).field,
    ).toBe('restateAll');
    // Off values are not set.
    expect(
      parseScenario(
        { name: 'x', message, restate: 0, restartWord: false, restateAll: true },
        'x.json',
      ).restateAll,
    ).toBe(true);
  });

  it('rejects reopenFence with restateAll, and bad behaviour values, by field', () => {
    expect(
      errorOf(() =>
        parseScenario({ name: 'x', message, reopenFence: 'tag', restateAll: true }, 'x.json'),
      ).message,
    ).toBe(
      'scenario x.json: reopenFence: cannot be combined with restateAll: a continuation that restates all of the partial text restates its fence already',
    );
    expect(
      errorOf(() => parseScenario({ name: 'x', message, reopenFence: 'yes' }, 'x.json')).message,
    ).toBe('scenario x.json: reopenFence: expected one of tag|bare');
    expect(
      errorOf(() => parseScenario({ name: 'x', message, restateChars: 0 }, 'x.json')).field,
    ).toBe('restateChars');
    expect(
      errorOf(() => parseScenario({ name: 'x', message, restateLines: 1.5 }, 'x.json')).field,
    ).toBe('restateLines');
    expect(
      errorOf(() => parseScenario({ name: 'x', message, preamble: ' \n ' }, 'x.json')).message,
    ).toBe('scenario x.json: preamble: give the words the model writes before it goes on');
  });

  it('names the file and the field path of a bad fault kind, listing the kinds', () => {
    const err = errorOf(() =>
      parseScenario(
        { name: 'x', message, faults: { '1': { kind: 'explode' } } },
        'test/fixtures/scenarios/x.json',
      ),
    );
    expect(err.message).toBe(
      'scenario test/fixtures/scenarios/x.json: faults.1.kind: expected one of drop|reset|eof|stall|error|http|trickle|random',
    );
  });

  it('rejects a drop that gives both afterEvents and event/bytes', () => {
    const err = errorOf(() =>
      parseScenario(
        {
          name: 'x',
          message,
          faults: { '1': { kind: 'drop', afterEvents: 3, event: 4, bytes: 2 } },
        },
        'x.json',
      ),
    );
    expect(err.field).toBe('faults.1.event');
  });

  it('rejects a fault keyed by something other than an attempt number or *', () => {
    const err = errorOf(() =>
      parseScenario(
        { name: 'x', message, faults: { first: { kind: 'eof', afterEvents: 1 } } },
        'x.json',
      ),
    );
    expect(err.field).toBe('faults.first');
  });

  it('names the field of a block missing what its type needs', () => {
    const bad = { ...message, content: [{ type: 'tool_use', id: 't', name: 'f' }] };
    const err = errorOf(() => parseScenario({ name: 'x', message: bad }, 'x.json'));
    expect(err.message).toBe(
      'scenario x.json: message.content.0.input: a tool_use block needs a object "input"',
    );
  });

  it('accepts blocks of a type it does not know', () => {
    const future = { ...message, content: [{ type: 'hologram', frames: 3 }] };
    expect(parseScenario({ name: 'x', message: future }, 'x.json').message.content[0]).toEqual({
      type: 'hologram',
      frames: 3,
    });
  });

  it('reads the message from messageFile, relative to the scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-scenario-'));
    writeFileSync(join(dir, '_big.json'), JSON.stringify(message));
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ name: 'big', messageFile: '_big.json' }));
    const [s] = loadScenarios(dir);
    expect(s?.message).toEqual(message);
  });

  it('reports a message file that is not valid by its own path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-scenario-'));
    writeFileSync(join(dir, '_big.json'), JSON.stringify({ ...message, role: 'user' }));
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ name: 'big', messageFile: '_big.json' }));
    const err = errorOf(() => loadScenarios(dir));
    expect(err.file).toBe(join(dir, '_big.json'));
    expect(err.field).toBe('role');
  });
});

describe('loadScenarios', () => {
  it('loads every shipped scenario', () => {
    expect(loadScenarios(SCENARIOS_DIR).length).toBeGreaterThanOrEqual(8);
  });

  it('reports a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-scenario-'));
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(errorOf(() => loadScenarios(dir)).message).toMatch(
      /^scenario .*broken\.json: not valid JSON/,
    );
  });

  it('rejects two scenarios with the same name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-scenario-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'same', message }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'same', message }));
    expect(errorOf(() => loadScenarios(dir)).field).toBe('name');
  });

  it('reports a path that does not exist', () => {
    expect(errorOf(() => loadScenarios('/nonexistent/scenarios')).message).toBe(
      'scenario /nonexistent/scenarios: no such file or directory',
    );
  });
});

describe('which models allow prefill', () => {
  it.each([
    ['claude-3-5-sonnet-20241022', true],
    ['claude-3-7-sonnet-latest', true],
    ['claude-opus-4-20250514', true],
    ['claude-opus-4-1-20250805', true],
    ['claude-sonnet-4-5', true],
    ['claude-haiku-4-5-20251001', true],
    ['claude-opus-4-6', false],
    ['claude-sonnet-4-7', false],
    ['claude-opus-5', false],
    ['some-future-model', false],
  ])('%s: %s', (model, allowed) => {
    expect(modelAllowsPrefill(model)).toBe(allowed);
  });

  it('reads versions from both naming schemes', () => {
    expect(claudeVersion('claude-3-5-sonnet-20241022')).toEqual([3, 5]);
    expect(claudeVersion('claude-opus-4-20250514')).toEqual([4, 0]);
  });

  it('lets a scenario override the model table', () => {
    const s = parseScenario(
      { name: 'x', message: { ...message, model: 'claude-opus-4-6' }, prefill: 'allowed' },
      'x.json',
    );
    expect(scenarioAllowsPrefill(s)).toBe(true);
  });
});
