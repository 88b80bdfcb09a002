/**
 * The seam scenarios: claude-opus-4-6 answers (prefill refused, so every resume is a
 * continuation turn) whose text is dense in what a continuation may restate, cut into small
 * text deltas (3-7 code points) so that cuts fall inside words, inside grapheme clusters and
 * inside code lines. Each scenario carries one continuation behaviour and an attempt-1 fault
 * where that behaviour matters; the fault matrix runs every behaviour over all of them.
 */
import type { ScenarioFile } from '../scenario.js';
import {
  buildMessage,
  deltaOf,
  isDelta,
  type RenderedStream,
  renderStream,
  scenarioFile,
} from './build.js';
import { rng } from './prose.js';
import {
  CHINESE_ANSWER,
  CODE_ANSWER,
  JAPANESE_ANSWER,
  MARKDOWN_ANSWER,
  MIXED_ANSWER,
} from './seam-texts.js';

const MODEL = 'claude-opus-4-6';

/**
 * The first text_delta of block 0 after which the text received so far ends strictly inside
 * `text.slice(from, to)` (a cut inside that span, never at its edges).
 */
function cutInside(stream: RenderedStream, text: string, needle: string, skip = 0): number {
  const from = text.indexOf(needle) + skip;
  if (from < skip) throw new Error(`seam scenario: "${needle}" is not in the text`);
  const to = text.indexOf(needle) + needle.length;
  let received = 0;
  for (let i = 0; i < stream.events.length; i++) {
    const event = stream.events[i] as unknown as Record<string, unknown>;
    if (!isDelta(0, 'text_delta')(event)) continue;
    received += String(deltaOf(event)?.text).length;
    if (received > from && received < to) return i;
  }
  throw new Error(`seam scenario: no text_delta ends inside "${needle}"`);
}

function textMessage(seed: number, text: string, inputTokens: number) {
  return buildMessage(rng(seed), {
    model: MODEL,
    content: [{ type: 'text', text }],
    stopReason: 'end_turn',
    inputTokens,
  });
}

/** English markdown: headings, lists, a table, inline code; the cut word is restarted. */
export function seamMarkdown(): ScenarioFile {
  const message = textMessage(1101, MARKDOWN_ANSWER, 210);
  const chunking = { text: 5 };
  const stream = renderStream(message, chunking);
  const event = cutInside(stream, MARKDOWN_ANSWER, 'synchronisation');
  return scenarioFile({
    name: 'seam-markdown',
    description:
      'claude-opus-4-6 writes a migration plan in markdown (headings, bulleted and numbered lists, a table, inline code) in 5-code-point deltas. Its continuation turn restarts the word the cut fell inside (restartWord). Attempt 1 is dropped inside "synchronisation" ("... incremental synchronis" + "synchronisation across ...").',
    message,
    chunking,
    restartWord: true,
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}

/** Fenced Python, TypeScript and shell; the continuation reopens the fence. */
export function seamCode(): ScenarioFile {
  const message = textMessage(1202, CODE_ANSWER, 180);
  const chunking = { text: 6 };
  const stream = renderStream(message, chunking);
  const needle = '            delay = random.uniform(0, min(max_delay, base_delay * 2 ** attempt))';
  const event = cutInside(stream, CODE_ANSWER, needle, 20);
  return scenarioFile({
    name: 'seam-code',
    description:
      'claude-opus-4-6 writes a retry helper in fenced Python and TypeScript blocks (indented 4 to 16 spaces) and a ~~~sh block, in 6-code-point deltas. Its continuation turn reopens the fence with its language tag and restates the current line from its start, indentation included (reopenFence: tag). Attempt 1 is dropped inside an indented Python line.',
    message,
    chunking,
    reopenFence: 'tag',
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}

/** Japanese (no spaces): the continuation restates its last characters. */
export function seamJapanese(): ScenarioFile {
  const message = textMessage(1303, JAPANESE_ANSWER, 150);
  const chunking = { text: 3 };
  const stream = renderStream(message, chunking);
  const event = cutInside(stream, JAPANESE_ANSWER, '文字単位で判定しなければなりません');
  return scenarioFile({
    name: 'seam-japanese',
    description:
      'claude-opus-4-6 answers in Japanese (no spaces between words; a numbered list, a bulleted list, an emoji) in 3-code-point deltas. Its continuation turn restates the last 4 characters (restateChars: 4). Attempt 1 is dropped in the middle of a sentence.',
    message,
    chunking,
    restateChars: 4,
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}

/** Chinese with a Thai paragraph: the continuation restates its last characters. */
export function seamChinese(): ScenarioFile {
  const message = textMessage(1404, CHINESE_ANSWER, 160);
  const chunking = { text: 4 };
  const stream = renderStream(message, chunking);
  const event = cutInside(stream, CHINESE_ANSWER, 'ภาษาไทยไม่มีช่องว่างระหว่างคำ');
  return scenarioFile({
    name: 'seam-chinese',
    description:
      'claude-opus-4-6 answers in Chinese with a paragraph in Thai (neither puts spaces between words; Thai vowels and tone marks combine with their consonant) in 4-code-point deltas. Its continuation turn restates the last 4 characters, from a grapheme cluster start (restateChars: 4). Attempt 1 is dropped inside the Thai paragraph.',
    message,
    chunking,
    restateChars: 4,
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}

/** English, CJK, Thai, emoji, a table and a code block; the continuation opens with a preamble. */
export function seamMixed(): ScenarioFile {
  const message = textMessage(1505, MIXED_ANSWER, 240);
  const chunking = { text: 7 };
  const stream = renderStream(message, chunking);
  const event = cutInside(stream, MIXED_ANSWER, '| `address.title` | Delivery address |', 4);
  return scenarioFile({
    name: 'seam-mixed',
    description:
      'claude-opus-4-6 writes about localisation in English with Japanese, Chinese and Thai strings, emoji (ZWJ sequences, flags), a decomposed accent, a table and a fenced TypeScript block, in 7-code-point deltas. Its continuation turn opens with a preamble ("Continuing from where I left off:"), a blank line, then restates the last 2 words. Attempt 1 is dropped inside a table row.',
    message,
    chunking,
    preamble: 'Continuing from where I left off:',
    faults: { '1': { kind: 'drop', afterEvents: event + 1 } },
  });
}
