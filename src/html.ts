/**
 * Shared by every part that writes HTML (the analyze report, the proxy's status page); like
 * errors.ts it imports nothing, so any layer may use it.
 *
 * HTML built with a tagged template that escapes every interpolated value. A report shows
 * text that came off the wire (tool names, error messages, content with `--content`), so
 * nothing from a stream may reach the page as markup: a value is escaped unless it is itself
 * a `SafeHtml` the tag made (or `trusted()`, kept for this code base's own stylesheet and script).
 *
 * The escaping covers text and quoted attribute values (`&`, `<`, `>`, `"`, `'`); values are
 * never placed in unquoted attributes, URLs, `<script>` or `<style>`.
 */

export class SafeHtml {
  readonly #html: string;
  private constructor(html: string) {
    this.#html = html;
  }
  /** @internal the tag's only way in */
  static of(html: string): SafeHtml {
    return new SafeHtml(html);
  }
  toString(): string {
    return this.#html;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value interpolated into the template: markup from `html`, or anything shown as text. */
export type HtmlValue =
  | SafeHtml
  | string
  | number
  | boolean
  | undefined
  | null
  | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** `html\`<p>${text}</p>\``: the literal parts are markup, every value is escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return SafeHtml.of(out);
}

/** Trusted markup written in this code base (the stylesheet and script). Never stream text. */
export function trusted(markup: string): SafeHtml {
  return SafeHtml.of(markup);
}
