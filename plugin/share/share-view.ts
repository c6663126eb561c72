/**
 * The share action: a toolbar button and the key U copy the link to the
 * current view (this page's address with the view state) to the clipboard, and
 * a popup says what a colleague opening it could not reach — data or models on
 * this computer or a private network, models kept only in this browser, or
 * the viewer page itself on such an address.
 */
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import {makeIcon} from 'neuroglancer/unstable/widget/icon.js';
import {getCachedJson} from 'neuroglancer/unstable/util/trackable.js';
import {unreachableIn} from '../../src/share/reachability.ts';
import {viewLink} from '../../src/share/view-link.ts';
import type {SharePopup} from './share-popup.ts';
import './share-popup.ts'; // defines <ngi-share-popup>

const ACTION = 'share-isotropic-view';
export const SHARE_KEY = 'keyu';

// Three linked nodes: the usual share icon.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><circle cx="18" cy="5" r="3"/><circle cx="6" cy="12" r="3"/><circle cx="18" cy="19" r="3"/><path d="M8.6 13.5l6.8 4M15.4 6.5l-6.8 4"/></svg>`;

/** Why the clipboard was not written, in words; undefined when it was. */
async function copyToClipboard(text: string): Promise<string | undefined> {
  if (!window.isSecureContext || !navigator.clipboard) {
    return 'This page is not served over https (or from localhost), so the browser gives it no clipboard';
  }
  try {
    await navigator.clipboard.writeText(text);
    return undefined;
  } catch (e) {
    return `The browser did not let this page write to the clipboard (${(e as Error).message})`;
  }
}

/** Copies the view's link and shows the popup (replacing an earlier one). */
export async function shareView(viewer: Viewer): Promise<SharePopup> {
  const state = getCachedJson(viewer.state).value;
  const link = viewLink(location.href, state);
  const found = unreachableIn(state, location.href);
  const refusal = await copyToClipboard(link);
  document.querySelector('ngi-share-popup')?.remove();
  const popup = document.createElement('ngi-share-popup') as SharePopup;
  Object.assign(popup, {link, refusal, found});
  document.body.appendChild(popup);
  return popup;
}

export function installShareAction(viewer: Viewer): void {
  const button = makeIcon({svg: ICON, title: 'Share this view: copy its link and see what a colleague could not open (U)', onClick: () => void shareView(viewer)});
  button.classList.add('ngi-share-button');
  viewer.element.querySelector('.neuroglancer-viewer-top-row')?.appendChild(button);
  viewer.registerDisposer(() => button.remove());
  viewer.inputEventBindings.global.set(SHARE_KEY, ACTION);
  viewer.bindAction(ACTION, () => void shareView(viewer));
}
