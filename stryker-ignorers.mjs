// @ts-check
/**
 * Mutants StrykerJS leaves out of the score (stryker.config.mjs `ignorers`), each with its
 * reason; the report lists them as "Ignored" with that reason.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/**
 * `this.#bytesScanned += ...` / `++` in src/sse/decoder.ts and framer.ts: a work counter read
 * only by the linear-work tests (`bytesScanned`, which bound it between the input's length and
 * two or four times it). It changes no event and no byte sent; a mutant of its arithmetic is
 * the counter counting something else. It stays: it is what makes "linear however the input
 * is chunked" a deterministic test instead of a timing.
 *
 * @param {any} path a Babel NodePath
 */
function isWorkCounterUpdate(path) {
  if (!path.isExpressionStatement()) return false;
  const e = path.node.expression;
  const target =
    e.type === 'AssignmentExpression' ? e.left : e.type === 'UpdateExpression' ? e.argument : undefined;
  return (
    target?.type === 'MemberExpression' &&
    target.object.type === 'ThisExpression' &&
    target.property.type === 'PrivateName' &&
    target.property.id.name === 'bytesScanned'
  );
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'work-counter', {
    /** @param {any} path */
    shouldIgnore(path) {
      return isWorkCounterUpdate(path)
        ? 'work counter for the linear-work tests (bytesScanned): changes no event or byte'
        : undefined;
    },
  }),
];
