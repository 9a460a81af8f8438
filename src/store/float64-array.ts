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

/**
 * A `bytea` column of float64 values, little-endian, 8 bytes each: bit-exact for every value (NaN payloads too) with
 * no formatting or parsing (ADR 0094). Repositories move it as base64 text through `decode`/`encode` in SQL rather
 * than as a driver bytea, which PGlite converts byte by byte in JavaScript.
 */
export const float64Bytes = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** The values as little-endian float64 bytes in base64. */
export function float64ToBase64(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 8);
  if (LITTLE_ENDIAN) {
    const f = new Float64Array(bytes.buffer, bytes.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) f[i] = values[i] as number;
  } else for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i] as number, i * 8);
  return bytes.toString('base64');
}

/** Little-endian float64 bytes (as base64, line breaks allowed) back to numbers. */
export function float64FromBase64(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) throw new Error(`float64 data of ${bytes.length} bytes is not a whole number of values`);
  const n = bytes.length / 8;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}
