/**
 * Seam properties: for random texts (English, Chinese, Japanese, code in fences, markdown,
 * mixed), random cut points (mid-word, inside a grapheme cluster, inside a code fence, right
 * after whitespace) and each way a model may continue, the joined text equals the original.
 *
 * Texts are built from words that never repeat (no n-gram occurs twice) and Han/kana words that
 * share no character, so a coincidence between the end of the partial text and the start of the
 * rest cannot happen by accident. Cut points inside the documented ambiguities are left out
 * (rules.ts: one letter into a word restarted, "aardvark"; a digit or symbol restated with
 * nothing held, "1" + "1.5"; a cut between a heading's marks, "#" + "# Title", read as the line
 * restated); the corpus pins what happens there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join, split } from './join.js';

const ENGLISH = (
  'migration plan synchronisation across regions database replica failover latency budget ' +
  'streaming response connection dropped resume engine splicer continuation instruction model ' +
  'token usage billing network gateway instance deploy rollback schema version client server ' +
  'request header payload buffer chunk parser decoder encoder event block thinking signature ' +
  'container skills code execution editor sandbox quick brown fox jumps over lazy dog river ' +
  'mountain forest ocean desert island valley canyon glacier volcano meadow harbor lighthouse ' +
  'résumé naïve café\u0301 façade jalapeño über straße thumbs👍🏽up rocket🚀launch'
).split(' ');

const HAN =
  '我们需要实现增量同步功能数据库迁移计划已经准备好请检查配置文件然后启动服务器观察日志输出';
const KANA = 'これはにほんごのテキストですあしたもはれるでしょうデータベースをいこうします';

/** Words from a string of characters used once each: no character is shared between words. */
function wordsOf(chars: string, size: number): string[] {
  const list = [...new Set([...chars])];
  const out: string[] = [];
  for (let i = 0; i + size <= list.length; i += size) out.push(list.slice(i, i + size).join(''));
  return out;
}
const HAN_WORDS = wordsOf(HAN, 2);
const KANA_WORDS = wordsOf(KANA, 3);

const CODE_LINES = [
  'def compute(items):',
  '    total = 0',
  '    for item in items:',
  '        total += item.price',
  '    return total',
  'const client = new Anthropic();',
  'await stream.finalMessage();',
  'let retries = maxAttempts - 1;',
  '    if (response.ok) {',
  '        return response.body;',
];

const separator = fc.constantFrom(' ', ' ', ' ', ', ', '. ', '\n', '\n\n');

const english = fc
  .uniqueArray(fc.constantFrom(...ENGLISH), { minLength: 6, maxLength: 30 })
  .chain((words) =>
    fc
      .array(separator, { minLength: words.length, maxLength: words.length })
      .map((seps) => words.map((w, i) => (i === 0 ? w : `${seps[i]}${w}`)).join('')),
  );

const cjk = fc.oneof(
  fc
    .uniqueArray(fc.constantFrom(...HAN_WORDS), { minLength: 4, maxLength: 16 })
    .map((w) => `${w.join('')}。`),
  fc
    .uniqueArray(fc.constantFrom(...KANA_WORDS), { minLength: 4, maxLength: 10 })
    .map((w) => `${w.join('')}。`),
);

const code = fc
  .uniqueArray(fc.constantFrom(...CODE_LINES), { minLength: 2, maxLength: 6 })
  .chain((lines) =>
    fc
      .constantFrom('python', 'ts', '')
      .map(
        (tag) => `Here is the code:\n\n\`\`\`${tag}\n${lines.join('\n')}\n\`\`\`\n\nThat is all.`,
      ),
  );

const markdown = fc
  .uniqueArray(fc.constantFrom(...ENGLISH), { minLength: 6, maxLength: 12 })
  .map(
    (w) =>
      `## ${w[0]} ${w[1]}\n\n- ${w[2]} ${w[3]}\n- ${w[4]} ${w[5]}\n\n| ${w[6] ?? 'x1'} | ${w[7] ?? 'y1'} |\n|---|---|\n| ${w[8] ?? 'x2'} | ${w[9] ?? 'y2'} |\n\n> ${w[10] ?? 'q1'} ${w[11] ?? 'q2'}`,
  );

const mixed = fc.tuple(english, cjk).map(([e, c]) => `${e}\n\n${c}`);

const text = fc.oneof(english, cjk, code, markdown, mixed);

type Behaviour =
  | 'exact'
  | 'restate-1'
  | 'restate-2'
  | 'restate-4'
  | 'restart-word'
  | 'restate-chars'
  | 'restate-line'
  | 'reopen-fence-tag'
  | 'reopen-fence-bare'
  | 'preamble'
  | 'restate-all';

const BEHAVIOURS: Behaviour[] = [
  'exact',
  'restate-1',
  'restate-2',
  'restate-4',
  'restart-word',
  'restate-chars',
  'restate-line',
  'reopen-fence-tag',
  'reopen-fence-bare',
  'preamble',
  'restate-all',
];

const WORD = /[\p{L}\p{N}\p{M}_]/u;

function lastWords(s: string, n: number): string {
  const starts = [...s.matchAll(/\S+/gu)].map((m) => m.index);
  const from = starts[Math.max(0, starts.length - n)];
  return from === undefined ? '' : s.slice(from);
}

/** Open fence line of `s` (an odd count of fence lines), if the cut is inside a fenced block. */
function fenceLine(s: string): string | undefined {
  const all = s.split('\n');
  const last = all.at(-1) ?? '';
  let open: string | undefined;
  for (const line of all.slice(0, -1)) {
    if (/^```/.test(line)) open = open === undefined ? line : undefined;
  }
  // A cut inside the closing fence line: the block is ending, nothing to reopen.
  return open !== undefined && /^`+$/.test(last) ? undefined : open;
}

/** The continuation a model with `behaviour` writes after `delivered`, the true rest being `rest`. */
function continuation(behaviour: Behaviour, delivered: string, rest: string): string | undefined {
  const midWord = WORD.test(delivered.slice(-1)) && WORD.test(rest.slice(0, 1));
  switch (behaviour) {
    case 'exact':
      return rest;
    case 'restate-1':
      return lastWords(delivered, 1) + rest;
    case 'restate-2':
      return lastWords(delivered, 2) + rest;
    case 'restate-4':
      return lastWords(delivered, 4) + rest;
    case 'restart-word':
      return midWord ? (/[\p{L}\p{N}\p{M}_]+$/u.exec(delivered)?.[0] ?? '') + rest : undefined;
    case 'restate-chars': {
      const chars = [...delivered];
      const tail = chars.slice(-4).join('');
      return /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]{4}$/u.test(tail)
        ? tail + rest
        : undefined;
    }
    case 'restate-line':
      return delivered.slice(delivered.lastIndexOf('\n') + 1) + rest;
    case 'reopen-fence-tag':
    case 'reopen-fence-bare': {
      const fence = fenceLine(delivered);
      if (fence === undefined) return undefined;
      const line = delivered.slice(delivered.lastIndexOf('\n') + 1);
      return `${behaviour === 'reopen-fence-tag' ? fence : '```'}\n${line}${rest}`;
    }
    case 'preamble':
      return `Continuing from where I left off:\n\n${lastWords(delivered, 2)}${rest}`;
    case 'restate-all':
      return delivered + rest;
  }
}

/** The documented ambiguities: cut points the rules decide against this behaviour on purpose. */
function ambiguous(
  behaviour: Behaviour,
  delivered: string,
  held: string,
  restated: string,
  rest: string,
): boolean {
  // A cut inside a heading's marks ("#" + "# Title"): read as the line restated (a model's "##"
  // is one token, so a real stream stops after all of it, not between).
  if (/(?:^|\n)#{1,5}$/u.test(delivered) && rest.startsWith('#')) return true;
  // A one-letter fragment whose word goes on with the same letter: "a" + "ardvark" is read as
  // a restart.
  const fragment = /[\p{L}\p{M}]+$/u.exec(delivered)?.[0] ?? '';
  if ([...fragment.replace(/\p{M}/gu, '')].length === 1 && rest.startsWith(fragment)) return true;
  if (behaviour === 'exact') return false;
  const token = restated.trim();
  // A lone mark or number restated with nothing held: "#" + "# Title", "1" + "1.5".
  if (held === '' && !/\p{L}/u.test(token) && [...token].length < 4) return true;
  // Fewer than three characters of a script without spaces, restarted inside a run of them.
  if (behaviour !== 'restart-word' && behaviour !== 'restate-chars') return delivered === '';
  if (
    /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー。]+$/u.test(token) &&
    [...token].length < 3
  )
    return true;
  return delivered === '';
}

function restatedPart(behaviour: Behaviour, delivered: string): string {
  switch (behaviour) {
    case 'restate-1':
      return lastWords(delivered, 1);
    case 'restate-2':
    case 'preamble':
      return lastWords(delivered, 2);
    case 'restate-4':
      return lastWords(delivered, 4);
    case 'restart-word':
      return /[\p{L}\p{N}\p{M}_]+$/u.exec(delivered)?.[0] ?? '';
    case 'restate-chars':
      return [...delivered].slice(-4).join('');
    case 'restate-line':
    case 'reopen-fence-tag':
    case 'reopen-fence-bare':
      return delivered.slice(delivered.lastIndexOf('\n') + 1);
    default:
      return delivered;
  }
}

/** Code-point boundaries of `s` (a stream never splits a code point; it may split a cluster). */
function cutPoints(s: string): number[] {
  const out: number[] = [];
  let i = 0;
  for (const ch of s) {
    i += ch.length;
    if (i < s.length) out.push(i);
  }
  return out;
}

describe('seam properties: the joined text equals the original', () => {
  for (const behaviour of BEHAVIOURS) {
    it(behaviour, () => {
      let checked = 0;
      fc.assert(
        fc.property(
          behaviour.startsWith('reopen-fence') ? code : text,
          fc.nat(),
          fc.constantFrom(1, 4, 1000),
          (original, pick, chunk) => {
            const points = cutPoints(original);
            const cut = points[pick % points.length] as number;
            const partial = original.slice(0, cut);
            const { delivered, held } = split(partial);
            const rest = original.slice(delivered.length);
            const c = continuation(behaviour, delivered, rest);
            if (c === undefined) return;
            if (ambiguous(behaviour, delivered, held, restatedPart(behaviour, delivered), rest)) {
              return;
            }
            checked++;
            expect(join(partial, c, { chunk }).text).toBe(original);
          },
        ),
        { numRuns: 400, seed: 9 },
      );
      expect(checked).toBeGreaterThan(50);
    });
  }
});
