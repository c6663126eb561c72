/** NGFF (UDUNITS-2) space units as metres, for viewers that work in SI base units. */
export const METRES: Record<string, number> = {
  angstrom: 1e-10,
  picometer: 1e-12,
  nanometer: 1e-9,
  micrometer: 1e-6,
  millimeter: 1e-3,
  centimeter: 1e-2,
  meter: 1,
};

export function metresPerUnit(unit: string): number {
  const factor = METRES[unit];
  if (factor === undefined) throw new Error(`unsupported space unit "${unit}" (supported: ${Object.keys(METRES).join(', ')})`);
  return factor;
}
