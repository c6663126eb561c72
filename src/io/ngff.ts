/**
 * OME-NGFF multiscale metadata (version 0.5: Zarr v3, attributes under `ome`;
 * version 0.4: Zarr v2, `multiscales` at the top level). Pure data, no I/O, so it
 * serves the writer in Node and the readers in the browser alike.
 *
 * Arrays are stored in z, y, x order (C order, x fastest); everything here uses
 * that order too.
 */

export const SPATIAL_AXES = ['z', 'y', 'x'] as const;
export type Vec3 = [number, number, number];

export interface NgffAxis {
  name: string;
  type?: string;
  unit?: string;
}

export interface NgffDataset {
  path: string;
  coordinateTransformations: Array<
    {type: 'scale'; scale: number[]} | {type: 'translation'; translation: number[]}
  >;
}

export interface NgffMultiscale {
  version?: string;
  name?: string;
  axes: NgffAxis[];
  datasets: NgffDataset[];
  type?: string;
  metadata?: Record<string, unknown>;
}

/** One pyramid level in physical terms: where voxel centres lie in the world. */
export interface ScaleLevel {
  path: string;
  /** Voxel spacing per axis (z, y, x), in `unit`. */
  scale: Vec3;
  /** World position of the centre of voxel (0, 0, 0), per axis (z, y, x), in `unit`. */
  translation: Vec3;
}

export interface MultiscaleDescription {
  name: string;
  unit: string;
  levels: ScaleLevel[];
  /** Free-form provenance stored in `multiscales[0].metadata`. */
  metadata?: Record<string, unknown>;
}

export function buildMultiscale(desc: MultiscaleDescription): NgffMultiscale {
  return {
    name: desc.name,
    axes: SPATIAL_AXES.map((name) => ({name, type: 'space', unit: desc.unit})),
    datasets: desc.levels.map((level) => ({
      path: level.path,
      coordinateTransformations: [
        {type: 'scale', scale: [...level.scale]},
        {type: 'translation', translation: [...level.translation]},
      ],
    })),
    ...(desc.metadata ? {type: 'mean', metadata: desc.metadata} : {}),
  };
}

/** Group attributes for NGFF 0.5. */
export function buildGroupAttributes(desc: MultiscaleDescription): Record<string, unknown> {
  return {ome: {version: '0.5', multiscales: [buildMultiscale(desc)]}};
}

/**
 * Reads the first multiscale of a group's attributes (0.4 or 0.5) into physical
 * terms. Only 3-D spatial data (axes named z, y, x in that order) is accepted:
 * the product works on EM volumes, and a clear error beats a wrong guess.
 */
export function parseMultiscale(attributes: Record<string, unknown>): MultiscaleDescription {
  const ome = attributes.ome as {multiscales?: NgffMultiscale[]} | undefined;
  const multiscales = (ome?.multiscales ?? attributes.multiscales) as NgffMultiscale[] | undefined;
  if (!Array.isArray(multiscales) || multiscales.length === 0) {
    throw new Error('no OME-NGFF "multiscales" metadata in this group');
  }
  const ms = multiscales[0];
  const names = ms.axes.map((a) => (typeof a === 'string' ? a : a.name));
  if (names.length !== 3 || names.join() !== SPATIAL_AXES.join()) {
    throw new Error(`expected 3 spatial axes z, y, x; found ${names.length} axes (${names.join(', ')})`);
  }
  if ((ms as {coordinateTransformations?: unknown[]}).coordinateTransformations?.length) {
    // Allowed by NGFF but rare; silently ignoring them would misplace the volume.
    throw new Error('multiscale-level coordinateTransformations are not supported (only per-dataset scale and translation)');
  }
  const units = new Set(ms.axes.map((a) => a.unit ?? ''));
  if (units.size !== 1) throw new Error(`axes use different units (${[...units].join(', ')})`);
  const levels = ms.datasets.map((ds): ScaleLevel => {
    let scale: Vec3 = [1, 1, 1];
    let translation: Vec3 = [0, 0, 0];
    for (const t of ds.coordinateTransformations ?? []) {
      if (t.type === 'scale') scale = toVec3(t.scale, `scale of ${ds.path}`);
      else if (t.type === 'translation') translation = toVec3(t.translation, `translation of ${ds.path}`);
    }
    return {path: ds.path, scale, translation};
  });
  return {name: ms.name ?? '', unit: [...units][0], levels, metadata: ms.metadata};
}

function toVec3(values: number[], what: string): Vec3 {
  if (!Array.isArray(values) || values.length !== 3 || !values.every(Number.isFinite)) {
    throw new Error(`${what} must have 3 finite numbers, got ${JSON.stringify(values)}`);
  }
  return [values[0], values[1], values[2]];
}
