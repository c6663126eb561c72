import {promises as fs} from 'node:fs';
import path from 'node:path';

/**
 * Maps a URL path (below a mount point) to a file inside `root`, or returns
 * undefined when it would leave `root`: `..` segments (also percent-encoded or
 * with backslashes), NUL bytes, or symlinks pointing outside. `root` must be a
 * real path (see `fs.realpath`).
 */
export async function resolveInside(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..')) return undefined;
  const candidate = path.join(root, ...segments);
  if (!isWithin(root, candidate)) return undefined;
  // Follow symlinks as far as they exist; the real target must still be inside.
  const real = await realpathOfExistingPrefix(candidate);
  return isWithin(root, real) ? candidate : undefined;
}

export function isWithin(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realpathOfExistingPrefix(p: string): Promise<string> {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}
