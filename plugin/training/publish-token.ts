/**
 * The publish token of each server this browser publishes to, kept in
 * localStorage by origin so the panel asks for it once per server.
 */
const key = (origin: string) => `ng-isotropic-publish-token:${origin}`;

export function storedPublishToken(origin: string): string | undefined {
  try {
    return localStorage.getItem(key(origin)) ?? undefined;
  } catch {
    return undefined; // storage refused (private mode): asked each time
  }
}

export function keepPublishToken(origin: string, token: string | undefined): void {
  try {
    if (token) localStorage.setItem(key(origin), token);
    else localStorage.removeItem(key(origin));
  } catch {
    /* storage refused: asked again next time */
  }
}

/** Did the server refuse a PUT for its token? putHandler's message reads "PUT <url> failed: <status> <text>". */
export function isTokenRefusal(message: string): boolean {
  return /^PUT \S+ failed: 401\b/.test(message);
}
