import { CsvError as ParseError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/**
 * The one CSV module: every CSV labloop writes (results, exports) or reads (benchmark pools, users' own tables), on
 * csv-parse / csv-stringify. Reading: one header row, comma-separated, RFC 4180 quotes, LF or CRLF, an optional UTF-8
 * BOM, blank lines skipped; a semicolon- or tab-separated file, a ragged row or an open quote is a CsvFileError naming
 * the line. Writing: RFC 4180 with CRLF after every record.
 */

/** A column: a row key, or a key with its own header text. */
export type CsvColumn = string | { key: string; header: string };

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** A CSV that cannot be read; the message names the file (when known), the line and what to do. */
export class CsvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFileError';
  }
}

/** Parses a comma-separated table with a header row. */
export function parseCsv(text: string, file = 'CSV'): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, delimiter: ',', relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (e) {
    throw new CsvFileError(`${file}: ${describeParseError(e)}`);
  }
  const [first, ...rest] = records;
  const header = first?.record;
  if (!header) throw new CsvFileError(`${file}: no header row`);
  const other = otherDelimiter(header);
  if (other) throw new CsvFileError(`${file}: the header looks ${other}-separated ("${header.join(',').slice(0, 60)}"); labloop reads comma-separated CSV — export the table with commas`);
  for (const r of rest)
    if (r.record.length !== header.length) throw new CsvFileError(`${file}: line ${r.info.lines}: row ${records.indexOf(r) + 1} has ${r.record.length} fields, the header has ${header.length}`);
  return { header: header.map((h) => h.trim()), rows: rest.map((r) => r.record) };
}

function otherDelimiter(header: string[]): string | undefined {
  if (header.length !== 1) return undefined;
  const only = header[0] ?? '';
  if (only.includes(';')) return 'semicolon';
  if (only.includes('\t')) return 'tab';
  return undefined;
}

function describeParseError(e: unknown): string {
  if (!(e instanceof ParseError)) return (e as Error).message;
  const line = (e as ParseError & { lines?: number }).lines;
  const at = line !== undefined ? `line ${line}: ` : '';
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return `${at}${e.message.replace(/^Invalid Record Length: /, '')}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${at}a quoted field is never closed`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `${at}text after a closing quote (quotes inside a field are written "")`;
    default:
      return `${at}${e.message}`;
  }
}

/**
 * Formats rows as RFC 4180 CSV: a header line, CRLF line ends (also after the last record), and a field quoted when
 * it contains a comma, a double quote, CR or LF (quotes doubled inside), or leading/trailing spaces.
 * null/undefined → empty; numbers in JS shortest round-trip form (NaN, Infinity as words); Dates as ISO 8601;
 * objects and arrays as JSON.
 */
export function toCsv(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly CsvColumn[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { key: c, header: c } : c));
  return stringify(
    rows.map((row) => cols.map((c) => formatValue(row[c.key]))),
    { header: true, columns: cols.map((c) => c.header), record_delimiter: '\r\n', quoted_match: QUOTED, eof: true },
  );
}

const QUOTED = [/[\r\n]/, /^\s/, /\s$/];

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}
