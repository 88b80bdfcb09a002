/**
 * Reading the proxy's /metrics (Prometheus text exposition format 0.0.4) in tests.
 */

/** Suffixes a histogram or summary adds to its name in the samples it exposes. */
const SAMPLE_SUFFIXES = ['_bucket', '_count', '_sum'];

/**
 * The value of metric `name` in `text`.
 *
 * With `labels` (written as exposed, e.g. `{reason="overloaded"}`), the sample with exactly those
 * labels; without, the sum over every sample of the name (the one unlabelled sample, or all label
 * sets). A sample that is absent reads as 0 (a labelled counter exposes no sample until it first
 * counts), but a metric the text does not declare at all (`# TYPE`) throws, so a renamed metric
 * fails the test instead of reading as 0.
 */
export function metric(text: string, name: string, labels?: string): number {
  const lines = text.split('\n');
  const family = SAMPLE_SUFFIXES.reduce(
    (n, suffix) =>
      n.endsWith(suffix) && declared(lines, n.slice(0, -suffix.length))
        ? n.slice(0, -suffix.length)
        : n,
    name,
  );
  if (!declared(lines, family)) throw new Error(`metric ${family} is not in the /metrics text`);
  let sum = 0;
  for (const line of lines) {
    const matches =
      labels === undefined
        ? line.startsWith(`${name} `) || line.startsWith(`${name}{`)
        : line.startsWith(`${name}${labels} `);
    if (matches) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function declared(lines: string[], family: string): boolean {
  return lines.some((l) => l.startsWith(`# TYPE ${family} `));
}
