/** A column: a row key, or a key with its own header text. */
export type CsvColumn = string | { key: string; header: string };

/**
 * Formats rows as RFC 4180 CSV: a header line, CRLF line ends (also after the last record), and a field quoted when
 * it contains a comma, a double quote, CR or LF (quotes doubled inside), or leading/trailing spaces.
 * null/undefined → empty; numbers in JS shortest round-trip form (NaN, Infinity as words); Dates as ISO 8601;
 * objects and arrays as JSON.
 */
export function toCsv(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly CsvColumn[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { key: c, header: c } : c));
  const lines = [cols.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(cols.map((c) => csvField(formatValue(row[c.key]))).join(','));
  return lines.map((l) => `${l}\r\n`).join('');
}

export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}
