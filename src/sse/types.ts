/** One dispatched server-sent event (WHATWG HTML, "event stream interpretation"). */
export interface SseEvent {
  /** The `event:` field; `undefined` means the default type (`message`). */
  event?: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `id:` field of this event, when present. */
  id?: string | undefined;
  /** The `retry:` field, when present and a valid integer. */
  retry?: number | undefined;
}
