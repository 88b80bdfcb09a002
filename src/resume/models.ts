/**
 * Which continuation form a model accepts.
 *
 * Claude 4.6 and every later model refuse assistant prefill (400 "This model does not support
 * assistant message prefill..."), so for them, and for any model id we cannot place, the
 * continuation turn is used. Older models accept prefill, which continues the text exactly.
 * The table is corrected at run time: when the API refuses prefill for a model, that model
 * is remembered (for the process) as continuation-turn only.
 */
export type ContinuationForm = 'prefill' | 'continue';

export const PREFILL_REFUSED_MESSAGE =
  'This model does not support assistant message prefill. The conversation must end with a user message.';

/** A Bedrock model ARN: foundation model or (cross-region / system-defined) inference profile. */
const BEDROCK_ARN =
  /^arn:aws[\w-]*:bedrock:[^:]*:\d*:(?:foundation-model|inference-profile|system-defined-inference-profile)\/(.+)$/;
/** Bedrock's `anthropic.` provider prefix, after an inference profile's geography (`us.`, `eu.`, `apac.`, `global.`, `us-gov.`). */
const BEDROCK_PROVIDER = /^(?:[a-z]+(?:-[a-z]+)?\.)?anthropic\./;
/** Bedrock's model version suffix: `-v1`, `-v1:0`, `-v2:0`. */
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;

/**
 * The Anthropic model id inside a cloud platform's model id, so that the table applies to it:
 * Bedrock `anthropic.claude-opus-4-6-v1`, inference profiles
 * (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) and their ARNs
 * (`arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1`);
 * Vertex AI `claude-opus-4-6@20260101`, `claude-3-5-sonnet-v2@20241022`. Any other id comes
 * back unchanged; an application inference profile's ARN names no model, so it stays unknown
 * (and gets the continuation turn, which every model accepts).
 */
export function canonicalModel(model: string): string {
  let id = model.trim();
  const arn = BEDROCK_ARN.exec(id);
  if (arn !== null) id = arn[1] ?? id;
  const bedrock = BEDROCK_PROVIDER.test(id);
  id = id.replace(BEDROCK_PROVIDER, '');
  // Vertex: `@date` (or `@latest`), and a `-v2` that names a revision before it.
  const at = id.indexOf('@');
  const vertex = at > 0;
  if (vertex) id = id.slice(0, at);
  if (bedrock || vertex) id = id.replace(BEDROCK_VERSION, '');
  return id;
}

/**
 * Parses `claude-opus-4-6`, `claude-sonnet-4-5-20250929`, `claude-3-5-sonnet-20241022`..., and
 * the platform ids `canonicalModel` reads (`anthropic.claude-opus-4-6-v1`, `claude-opus-4-6@20260101`).
 */
export function modelGeneration(
  platformModel: string,
): { major: number; minor: number } | undefined {
  const model = canonicalModel(platformModel);
  // New style: claude-<family>-<major>[-<minor>][-<date>]. The version ends at the id's end or
  // a separator, so a date ("-20250929") or a suffix ("@...", ":...") is left unread, and a
  // date is never taken for a minor version (a minor has one or two digits).
  const modern = /^claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?:$|[-@:.])/.exec(model);
  if (modern) return { major: Number(modern[1]), minor: modern[2] ? Number(modern[2]) : 0 };
  // Old style: claude-<major>[-<minor>]-<family>[-<date>]
  const legacy = /^claude-(\d+)(?:-(\d{1,2}))?-(?:opus|sonnet|haiku)/.exec(model);
  if (legacy) return { major: Number(legacy[1]), minor: legacy[2] ? Number(legacy[2]) : 0 };
  return undefined;
}

/**
 * Which continuation form (`prefill` or a continuation turn) each model accepts.
 *
 * Claude 4.6 and later, models it cannot place, and requests with extended thinking get the
 * continuation turn; older models get prefill. It learns at run time: a model that refuses
 * prefill is remembered as continuation-turn only. Share one table between engines to share
 * what it learns.
 */
export class ModelTable {
  readonly #refused = new Set<string>();

  /** The form to use for `model`, given whether the request enables extended thinking. */
  formFor(model: string, thinkingEnabled = false): ContinuationForm {
    if (thinkingEnabled || this.#refused.has(model)) return 'continue';
    const gen = modelGeneration(model);
    if (gen === undefined) return 'continue';
    return gen.major < 4 || (gen.major === 4 && gen.minor <= 5) ? 'prefill' : 'continue';
  }

  /** Records that the API refused prefill for `model` (learned from a 400). */
  markPrefillRefused(model: string): void {
    this.#refused.add(model);
  }
}

/** Whether an API error message says prefill is not supported. */
export function isPrefillRefusal(message: string): boolean {
  return /does not support assistant message prefill/i.test(message);
}

/** The process-wide table used when the caller does not pass one. */
export const defaultModelTable = new ModelTable();
