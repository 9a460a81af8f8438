import { customType } from 'drizzle-orm/pg-core';

/**
 * A `double precision[]` column that round-trips every float64 exactly: JS shortest round-trip formatting on the
 * way in (with `-0`, `NaN`, `Infinity`, `-Infinity` spelled as Postgres reads them), parseFloat on the way out.
 * Drivers return float8[] parsed (node-postgres, PGlite) or as array text; both are accepted.
 */
export const float64Array = customType<{ data: number[]; driverData: string | (number | string)[] }>({
  dataType: () => 'double precision[]',
  toDriver: (values) => `{${values.map(formatFloat8).join(',')}}`,
  fromDriver: (raw) => (typeof raw === 'string' ? parseFloat8ArrayText(raw) : raw.map((v) => (typeof v === 'number' ? v : parseFloat8(v)))),
});

export function formatFloat8(v: number): string {
  if (Object.is(v, -0)) return '-0';
  return String(v); // 'NaN', 'Infinity', '-Infinity' are valid float8 input too
}

function parseFloat8(s: string): number {
  return s === 'NaN' ? NaN : Number.parseFloat(s);
}

function parseFloat8ArrayText(text: string): number[] {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  return body === '' ? [] : body.split(',').map((s) => parseFloat8(s.replace(/"/g, '')));
}
