/**
 * Comparing messages across runs: what must match between a fault-free run and a recovered one.
 */

/**
 * The message with `id` and `usage` removed (they differ between runs by design), after a JSON
 * round trip so fields left `undefined` by one client and absent in another compare equal.
 */
export function strip(message: unknown): Record<string, unknown> {
  const {
    id: _id,
    usage: _usage,
    ...rest
  } = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  return rest;
}
