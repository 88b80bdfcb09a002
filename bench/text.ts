/**
 * The benchmarks' message text: words from a small vocabulary with a number, picked by a
 * 32-bit linear congruential generator from its high bits. (The low bits of such a generator
 * cycle with a short period: the earlier `n % 8` picked the same word for pages on end, and
 * text that repeats itself is where a continuation's seam cannot tell a restatement from the
 * text going on, so the pressure phase counted mismatches that were the text's, not the
 * proxy's.)
 */
const VOCAB = ['stream', 'block', 'delta', 'proxy', 'token', 'event', 'client', 'resume'];

/** `length` characters of words, ending with a period; the same seed gives the same text. */
export function benchText(seed: number, length: number): string {
  let text = '';
  let n = seed >>> 0;
  const next = () => {
    n = (Math.imul(n, 1103515245) + 12345) >>> 0;
    return n >>> 16;
  };
  while (text.length < length) text += `${VOCAB[next() % VOCAB.length]}${next() % 100} `;
  return `${text.slice(0, length - 1)}.`;
}
