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

/** Parses `claude-opus-4-6`, `claude-sonnet-4-5-20250929`, `claude-3-5-sonnet-20241022`... */
export function modelGeneration(model: string): { major: number; minor: number } | undefined {
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
