/**
 * Why a page is still not cross-origin isolated, where the page itself can tell.
 * The built viewer isolates itself through a service worker (coi-serviceworker)
 * on hosts that cannot send the headers; a browser refuses both the headers and
 * the service worker on an insecure page, and some windows offer no service worker.
 */
export interface PageAbilities {
  /** window.isSecureContext: https, or http on localhost. */
  secure: boolean;
  /** 'serviceWorker' in navigator. */
  serviceWorker: boolean;
}

export function isolationHint({secure, serviceWorker}: PageAbilities): string | undefined {
  if (!secure) return 'browsers isolate only secure pages: open the viewer over https (or on localhost)';
  if (!serviceWorker) return 'this browser window offers no service worker (a private window?), which the viewer uses to isolate the page where its host sends no such headers';
  return undefined;
}

/** This page's abilities (main thread). */
export function pageAbilities(): PageAbilities {
  return {secure: globalThis.isSecureContext !== false, serviceWorker: typeof navigator !== 'undefined' && 'serviceWorker' in navigator};
}
