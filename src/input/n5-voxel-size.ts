/**
 * N5 voxel sizes and level factors.
 *
 * Voxel size: neuroglancer, n5-viewer/BigDataViewer and N5 Spark each write it
 * their own way; this reader combines them in this order of precedence.
 * - Base voxel size (full resolution): from the root's attributes.json, else
 *   from s0's. Within one attributes.json, n5-viewer/BigDataViewer's
 *   `pixelResolution` ({dimensions, unit}, or a plain array in its older
 *   form) comes before neuroglancer's `resolution` + `units`, as neuroglancer
 *   itself reads them (its pixelResolution replaces resolution). Each number
 *   list keeps the unit written next to it: pixelResolution.unit (else
 *   `units`, else µm, n5-viewer's default); `units` for resolution (else nm,
 *   neuroglancer's default).
 * - Level factors: the dataset's own `downsamplingFactors` (n5-viewer, N5
 *   Spark), else the group's `scales[i]` (neuroglancer, n5-viewer), else the
 *   group's `downsamplingFactors[i]`, else 1, 1, 1 for s0 and, only when
 *   nothing says, base dimensions / level dimensions for the others.
 * - Level spacing = base × factors. A dataset that states its own voxel size is
 *   checked loosely: equal to base × factors, or to the base itself (N5 Spark
 *   and n5-ij copy the base into every level), confirms it; anything else is
 *   taken as that level's own spacing, and its factors follow from it.
 * No voxel size anywhere: spacing and unit are undefined, and the caller asks for one.
 */
import type {Vec3} from '../grid/box.ts';
import {close, divide, isListOfLists, isObject, positiveNumbers, whereOf, zyx, type Attributes, type Dataset} from './n5-attributes.ts';

/** A voxel size, z, y, x, in `unit` (a UDUNITS name). */
interface VoxelSize {
  size: Vec3;
  unit: string;
}

export interface LevelGeometry {
  spacing?: Vec3[];
  unit?: string;
  factors: Vec3[];
}

/** `shapes`: each level's shape, z, y, x (factors fall back to shape ratios where nothing states them). */
export function levelGeometry(root: Attributes, datasets: Dataset[], shapes: Vec3[], location: string): LevelGeometry {
  const raw = datasets.map((d, i) => rawFactors(root, d, i, shapes[0], shapes[i], location));
  const relative = raw.map((f) => divide(f, raw[0]));
  // s0's attributes are read over the group's, as N5 readers inherit a group's attributes (a group's `units`, say).
  const base = voxelSizeOf(root, location) ?? voxelSizeOf({...root, ...datasets[0].attributes}, whereOf(location, datasets[0].path));
  if (!base) return {factors: relative};
  const spacing = datasets.map((d, i) => levelSpacing(base, raw[i], voxelSizeOf(d.attributes, whereOf(location, d.path))));
  // Factors are spacing relative to level 0's: the stated factors unless a level's own voxel size said otherwise.
  const factors = spacing.map((s, i) => {
    const measured = divide(s, spacing[0]);
    return close(measured, relative[i], 1e-9) ? relative[i] : measured;
  });
  return {spacing, unit: base.unit, factors};
}

/** A level's factors (z, y, x) relative to full resolution, as its metadata states them. */
function rawFactors(root: Attributes, dataset: Dataset, index: number, baseShape: Vec3, shape: Vec3, location: string): Vec3 {
  const own = dataset.attributes.downsamplingFactors;
  if (own !== undefined && !isListOfLists(own)) return zyx(positiveNumbers(own, 'downsamplingFactors', whereOf(location, dataset.path)));
  if (dataset.path !== '') {
    for (const key of ['scales', 'downsamplingFactors']) {
      const all = root[key];
      if (all === undefined) continue;
      if (!isListOfLists(all)) {
        if (key === 'scales') throw new Error(`${location}: "scales" should list one x, y, z factor triple per level`);
        continue; // a group's single factor triple (neuroglancer ignores it for a multiscale group too)
      }
      if (index < all.length) return zyx(positiveNumbers(all[index], `${key}[${index}]`, location));
    }
  }
  if (index === 0) return [1, 1, 1];
  return baseShape.map((n, i) => Math.max(1, Math.round(n / shape[i]))) as Vec3;
}

/** The voxel size one attributes.json states, if any (precedence: see the top of this file). */
function voxelSizeOf(attributes: Attributes, where: string): VoxelSize | undefined {
  const units = () => (attributes.units === undefined ? undefined : unitOfAxes(attributes.units, where));
  const pixel = attributes.pixelResolution;
  if (pixel !== undefined) {
    if (Array.isArray(pixel)) return {size: zyx(positiveNumbers(pixel, 'pixelResolution', where)), unit: units() ?? 'micrometer'};
    if (!isObject(pixel)) throw new Error(`${where}: "pixelResolution" should be {"dimensions": [x, y, z], "unit": …} or [x, y, z]`);
    if (pixel.dimensions !== undefined) {
      const unit = pixel.unit === undefined ? (units() ?? 'micrometer') : unitName(pixel.unit, where);
      return {size: zyx(positiveNumbers(pixel.dimensions, 'pixelResolution.dimensions', where)), unit};
    }
  }
  if (attributes.resolution !== undefined) {
    return {size: zyx(positiveNumbers(attributes.resolution, 'resolution', where)), unit: units() ?? 'nanometer'};
  }
  return undefined;
}

/** Spacing of a level with factors `factors`, given what its own attributes state (`own`). */
function levelSpacing(base: VoxelSize, factors: Vec3, own: VoxelSize | undefined): Vec3 {
  const expected = base.size.map((s, i) => s * factors[i]) as Vec3;
  if (!own) return expected;
  const stated = own.size.map((s) => (s * NM_PER_UNIT[own.unit]) / NM_PER_UNIT[base.unit]) as Vec3;
  if (close(stated, expected, 0.01) || close(stated, base.size, 0.01)) return expected;
  return stated;
}

// Units

/** Nanometres per UDUNITS unit. */
const NM_PER_UNIT: Record<string, number> = {nanometer: 1, micrometer: 1e3, millimeter: 1e6, angstrom: 0.1, meter: 1e9};

const UNIT_NAMES: Record<string, string> = {
  nm: 'nanometer', nanometer: 'nanometer', nanometers: 'nanometer', nanometre: 'nanometer', nanometres: 'nanometer',
  um: 'micrometer', 'µm': 'micrometer', 'μm': 'micrometer', micrometer: 'micrometer', micrometers: 'micrometer',
  micrometre: 'micrometer', micrometres: 'micrometer', micron: 'micrometer', microns: 'micrometer',
  mm: 'millimeter', millimeter: 'millimeter', millimeters: 'millimeter', millimetre: 'millimeter', millimetres: 'millimeter',
  'å': 'angstrom', 'Å': 'angstrom', angstrom: 'angstrom', angstroms: 'angstrom', 'ångström': 'angstrom', 'ångströms': 'angstrom',
  m: 'meter', meter: 'meter', meters: 'meter', metre: 'meter', metres: 'meter',
};

function unitName(value: unknown, where: string): string {
  const name = typeof value === 'string' ? UNIT_NAMES[value.trim().toLowerCase()] ?? UNIT_NAMES[value.trim()] : undefined;
  if (!name) throw new Error(`${where}: the unit ${JSON.stringify(value)} is not a length unit this reader knows (nm, um, mm, Å or m)`);
  return name;
}

/** The one unit of a per-axis unit list. */
function unitOfAxes(value: unknown, where: string): string {
  if (!Array.isArray(value) || value.length !== 3) throw new Error(`${where}: "units" should list 3 units (x, y, z)`);
  const names = value.map((u) => unitName(u, where));
  if (names.some((n) => n !== names[0])) throw new Error(`${where}: "units" gives each axis a different unit (${value.join(', ')}); this reader needs one unit for x, y and z`);
  return names[0];
}

