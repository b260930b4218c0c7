// How a measurement is stored: a missing one (undefined, null or NaN) is SQL NULL.
export function sqlNumber(v: number | null | undefined): number | null {
  return v === undefined || v === null || Number.isNaN(v) ? null : v;
}
