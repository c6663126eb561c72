/**
 * OME-NGFF multiscale metadata (version 0.5: Zarr v3, attributes under `ome`;
 * version 0.4: Zarr v2, `multiscales` at the top level). Pure data, no I/O, so it
 * serves the writer in Node and the readers in the browser alike.
 *
 * Arrays are stored in z, y, x order (C order, x fastest); everything here uses
 * that order too.
 */

import type {Vec3} from '../grid/box.ts';

export const SPATIAL_AXES = ['z', 'y', 'x'] as const;

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

/** Where the spatial axes and the others (time, channel) sit among an array's dimensions. */
export interface AxisLayout {
  /** Dimension index of z, y and x. */
  spatial: Vec3;
  /** Non-spatial dimensions (t, c, …): readers take index 0 of each and require size 1. */
  others: {name: string; index: number}[];
}

/**
 * Reads the first multiscale of a group's attributes (0.4 or 0.5) into physical
 * terms, z, y, x. Any axis order is accepted as long as there are exactly three
 * space axes named z, y and x; other axes (time, channel) are reported in
 * `axes.others`, and the caller checks that they have size 1.
 */
export function parseMultiscale(attributes: Record<string, unknown>): MultiscaleDescription & {axes: AxisLayout} {
  const ome = attributes.ome as {multiscales?: NgffMultiscale[]} | undefined;
  const multiscales = (ome?.multiscales ?? attributes.multiscales) as NgffMultiscale[] | undefined;
  if (!Array.isArray(multiscales) || multiscales.length === 0) {
    throw new Error('no OME-NGFF "multiscales" metadata in this group');
  }
  const ms = multiscales[0];
  const axes = (ms.axes ?? SPATIAL_AXES.map((name) => ({name, type: 'space'}))).map((a) => (typeof a === 'string' ? {name: a as string} : a));
  const names = axes.map((a) => a.name);
  const isSpace = (a: NgffAxis) => (a.type ? a.type === 'space' : SPATIAL_AXES.includes(a.name as never));
  const space = axes.filter(isSpace);
  const spatial = SPATIAL_AXES.map((n) => names.indexOf(n)) as Vec3;
  if (space.length !== 3 || spatial.some((i) => i < 0 || !isSpace(axes[i]))) {
    throw new Error(`expected 3 space axes named z, y, x; found axes ${names.join(', ')}`);
  }
  const others = axes.flatMap((a, index) => (isSpace(a) ? [] : [{name: a.name, index}]));
  if ((ms as {coordinateTransformations?: unknown[]}).coordinateTransformations?.length) {
    // Allowed by NGFF but rare; silently ignoring them would misplace the volume.
    throw new Error('multiscale-level coordinateTransformations are not supported (only per-dataset scale and translation)');
  }
  const units = new Set(space.map((a) => a.unit ?? ''));
  if (units.size !== 1) throw new Error(`space axes use different units (${[...units].join(', ')})`);
  const pick = (values: number[], what: string): Vec3 => {
    if (!Array.isArray(values) || values.length !== axes.length || !values.every(Number.isFinite)) {
      throw new Error(`${what} must have ${axes.length} finite numbers (one per axis), got ${JSON.stringify(values)}`);
    }
    return [values[spatial[0]], values[spatial[1]], values[spatial[2]]];
  };
  const levels = ms.datasets.map((ds): ScaleLevel => {
    let scale: Vec3 = [1, 1, 1];
    let translation: Vec3 = [0, 0, 0];
    for (const t of ds.coordinateTransformations ?? []) {
      if (t.type === 'scale') scale = pick(t.scale, `scale of ${ds.path}`);
      else if (t.type === 'translation') translation = pick(t.translation, `translation of ${ds.path}`);
    }
    return {path: ds.path, scale, translation};
  });
  return {name: ms.name ?? '', unit: [...units][0], levels, metadata: ms.metadata, axes: {spatial, others}};
}
