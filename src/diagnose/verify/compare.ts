/**
 * Comparing the message a verify run produced with the one the scenario describes, ids and
 * usage aside (a resumed message has the first attempt's id and the summed usage; both are
 * correct and both differ from the scenario's). The first difference is named by its path, so
 * a failing run says where the spliced message went wrong, not only that it did.
 */

type Json = Record<string, unknown>;

/** The message without the fields a resume legitimately changes; JSON round trip drops undefined. */
export function comparable(message: unknown): Json {
  const copy = JSON.parse(JSON.stringify(message ?? {})) as Json;
  delete copy.id;
  delete copy.usage;
  return copy;
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `a ${value.length}-char string` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * The first place where `actual` differs from `expected`, as `path: expected X, got Y`, or
 * `undefined` when they are equal. Object keys are compared as sets (order is not meaning).
 */
export function firstDifference(expected: unknown, actual: unknown, path = ''): string | undefined {
  const where = path === '' ? '(message)' : path;
  if (Object.is(expected, actual)) return undefined;
  if (typeof expected !== typeof actual || expected === null || actual === null) {
    return `${where}: expected ${describe(expected)}, got ${describe(actual)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) {
      return `${where}: expected ${describe(expected)}, got ${describe(actual)}`;
    }
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    if (expected.length !== actual.length) {
      return `${where}: expected ${expected.length} items, got ${actual.length}`;
    }
    return undefined;
  }
  if (typeof expected === 'object') {
    const e = expected as Json;
    const a = actual as Json;
    const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
    for (const key of [...keys].sort()) {
      const d = firstDifference(e[key], a[key], path === '' ? key : `${path}.${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof expected === 'string' && typeof actual === 'string') {
    let i = 0;
    while (i < expected.length && expected[i] === actual[i]) i++;
    return `${where}: strings differ at char ${i} (expected ${describe(expected)}, got ${describe(actual)})`;
  }
  return `${where}: expected ${describe(expected)}, got ${describe(actual)}`;
}

function mergeAdjacentText(content: Json[]): Json[] {
  const out: Json[] = [];
  for (const block of content) {
    const last = out[out.length - 1];
    if (block.type === 'text' && last?.type === 'text') {
      const merged: Json = {
        ...last,
        text: `${String(last.text ?? '')}${String(block.text ?? '')}`,
      };
      const citations = [
        ...(Array.isArray(last.citations) ? last.citations : []),
        ...(Array.isArray(block.citations) ? block.citations : []),
      ];
      if (citations.length > 0 || last.citations !== undefined) {
        merged.citations = citations.length > 0 ? citations : last.citations;
      }
      out[out.length - 1] = merged;
    } else out.push(block);
  }
  return out;
}

/**
 * For a scenario whose continuation turn opens with adaptive thinking: a resume adds that
 * signed thinking block and starts the continued text as a new block after it (by design;
 * the splicing rules are in docs/resume.md). Both messages are brought to the same shape: thinking blocks the
 * scenario does not have are set aside, and adjacent text blocks are joined. Returns how many
 * blocks were set aside.
 */
export function normalizeContinuationThinking(
  expected: Json,
  actual: Json,
): { expected: Json; actual: Json; setAside: number } {
  const wanted = Array.isArray(expected.content) ? (expected.content as Json[]) : [];
  const got = Array.isArray(actual.content) ? (actual.content as Json[]) : [];
  const known = new Set(wanted.filter((b) => b.type === 'thinking').map((b) => JSON.stringify(b)));
  const kept = got.filter((b) => b.type !== 'thinking' || known.has(JSON.stringify(b)));
  return {
    expected: { ...expected, content: mergeAdjacentText(wanted) },
    actual: { ...actual, content: mergeAdjacentText(kept) },
    setAside: got.length - kept.length,
  };
}
