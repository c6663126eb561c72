/** Events the panel's views send up: names and details in one place. */

/** A form field changed: `key` names the field of the panel's form. */
export interface FormChange {
  key: string;
  value: unknown;
}

/** Dispatches a composed event (it leaves the view's shadow root) with `detail`. */
export function emit<T>(from: HTMLElement, name: string, detail?: T): void {
  from.dispatchEvent(new CustomEvent(name, {detail, bubbles: true, composed: true}));
}

/** Sends a form change from an input's change event. */
export function emitChange(from: HTMLElement, key: string, value: unknown): void {
  emit<FormChange>(from, 'ngi-form-change', {key, value});
}
