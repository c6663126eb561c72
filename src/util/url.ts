/** Whether a location is an http(s) URL rather than a local path. */
export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//.test(location);
}
