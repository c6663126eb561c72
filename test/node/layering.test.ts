// The import graph of the core: which folders may import which. A format module
// that reached into the compute core, or core code that reached into the viewer,
// fails here with the file and the import that broke the rule.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve('src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports or re-exports (static and dynamic), as written. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'/g), ...text.matchAll(/\bimport\s*\(\s*'([^']+)'\s*\)/g)];
  return specs.map((m) => m[1]);
}

/** src-relative folder (or file) a relative import lands in, e.g. 'chunk' or 'errors.ts'; undefined for packages. */
function coreTarget(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const rel = path.relative(ROOT, path.resolve(path.dirname(file), spec));
  return rel.startsWith('..') ? `../${rel}` : rel.split(path.sep)[0];
}

function violations(folder: string, allowed: (target: string | undefined, spec: string) => boolean): string[] {
  return sourceFiles(path.join(ROOT, folder)).flatMap((file) =>
    importsOf(file)
      .filter((spec) => !allowed(coreTarget(file, spec), spec))
      .map((spec) => `${path.relative(ROOT, file)} imports ${spec}`),
  );
}

describe('layering of the core (src/)', () => {
  it('src/ imports neither neuroglancer, the viewer glue (layers/, plugin/) nor lit', () => {
    const bad = violations('.', (target, spec) => !/^(neuroglancer|lit)(\/|$)/.test(spec) && !(target?.startsWith('../') ?? false));
    assert.deepEqual(bad, []);
  });

  it('src/input (formats, stores, metadata, source URLs) depends on nothing above it: only src/grid, src/util and errors', () => {
    const bad = violations('input', (target) => target === undefined || ['input', 'grid', 'util', 'errors.ts'].includes(target));
    assert.deepEqual(bad, []);
  });

  it('src/grid (boxes, axes, the region-reader type) imports nothing of the project', () => {
    assert.deepEqual(violations('grid', (target) => target === undefined || target === 'grid'), []);
  });

  it('input has one home: no src/io folder', () => {
    assert.equal(fs.existsSync(path.join(ROOT, 'io')), false);
  });
});
