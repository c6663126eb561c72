/** An error in words next to the control it concerns (the control names it with aria-describedby="ngi-error-<key>"). */
import {html, nothing} from 'lit';

export function errorLine(key: string, message: string | undefined) {
  return message ? html`<p class="ngi-error" id="ngi-error-${key}" role="alert">${message}</p>` : nothing;
}
