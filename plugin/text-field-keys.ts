/**
 * Keys typed into a text field inside a shadow root stay there. Neuroglancer's
 * key bindings listen on the viewer's element and leave text fields alone,
 * but an event from a shadow root reaches them retargeted to the shadow host,
 * so digits (layer toggles) and bound letters (T, U…) would be taken from
 * the panel's fields as shortcuts and never typed.
 */
const TEXT_INPUTS = new Set(['', 'text', 'number', 'password', 'search', 'email', 'url', 'tel', 'date', 'time', 'datetime-local', 'month', 'week', 'color']);

function isTextField(target: EventTarget | undefined): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return TEXT_INPUTS.has(target.getAttribute('type')?.toLowerCase() ?? '');
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || target.isContentEditable;
}

/** Stops keys typed into `host`'s text fields (Escape aside) at `host`. */
export function keepKeysInTextFields(host: HTMLElement): void {
  host.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' && isTextField(e.composedPath()[0])) e.stopPropagation();
  });
}
