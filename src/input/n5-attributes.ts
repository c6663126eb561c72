/** Reading N5 attributes.json values: the small checks every N5 module shares. */
import type {Vec3} from '../grid/box.ts';

export type Attributes = Record<string, unknown>;

export interface Dataset {
  /** Path of the dataset under the root ('' for a root that is a dataset). */
  path: string;
  attributes: Attributes;
}

export function isListOfLists(value: unknown): value is unknown[][] {
  return Array.isArray(value) && value.length > 0 && value.every(Array.isArray);
}

export function whereOf(location: string, path: string): string {
  return path ? `${location}/${path}` : location;
}

export function isObject(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An x, y, z list as z, y, x. */
export function zyx([x, y, z]: number[]): Vec3 {
  return [z, y, x];
}

export function positiveNumbers(value: unknown, key: string, where: string): number[] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new Error(`${where}: "${key}" should be 3 positive numbers (x, y, z), not ${JSON.stringify(value)}`);
  }
  return value as number[];
}

export function positiveIntegers(value: unknown, key: string, where: string): number[] {
  const numbers = positiveNumbers(value, key, where);
  if (!numbers.every(Number.isInteger)) throw new Error(`${where}: "${key}" should be 3 positive integers (x, y, z), not ${JSON.stringify(value)}`);
  return numbers;
}

export function divide(a: Vec3, b: Vec3): Vec3 {
  return [a[0] / b[0], a[1] / b[1], a[2] / b[2]];
}

export function close(a: Vec3, b: Vec3, tolerance: number): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance * Math.abs(b[i]));
}
