import { describe, expect, it } from 'vitest';
import { toCsv } from '../../../src/store/csv.ts';

describe('toCsv (RFC 4180)', () => {
  it('writes a header and CRLF-terminated records in column order', () => {
    const csv = toCsv([{ a: 1, b: 'x', c: 'ignored' }, { a: 2.5, b: 'y' }], ['a', { key: 'b', header: 'B col' }]);
    expect(csv).toBe('a,B col\r\n1,x\r\n2.5,y\r\n');
  });

  it('quotes fields with commas, quotes, line breaks and edge spaces, doubling inner quotes', () => {
    const field = (text: string): string => toCsv([{ f: text }], ['f']).slice('f\r\n'.length, -2);
    expect(field('plain')).toBe('plain');
    expect(field('a,b')).toBe('"a,b"');
    expect(field('say "hi"')).toBe('"say ""hi"""');
    expect(field('two\nlines')).toBe('"two\nlines"');
    expect(field('cr\rhere')).toBe('"cr\rhere"');
    expect(field(' padded ')).toBe('" padded "');
    expect(field('')).toBe('');
  });

  it('formats values: empty for null/undefined, exact numbers, ISO dates, JSON for objects', () => {
    const row = { n: null, u: undefined, x: 0.1 + 0.2, big: 1e21, nan: NaN, t: true, d: new Date('2026-01-02T03:04:05.006Z'), o: { k: [1, 'a,b'] } };
    const csv = toCsv([row], Object.keys(row));
    const [, line] = csv.split('\r\n');
    expect(line).toBe(',,0.30000000000000004,1e+21,NaN,true,2026-01-02T03:04:05.006Z,"{""k"":[1,""a,b""]}"');
  });

  it('parses back with a strict RFC 4180 reader', () => {
    const rows = [{ id: 't-1', note: 'has "quotes", commas\r\nand lines', v: -0.5 }];
    const parsed = parseCsv(toCsv(rows, ['id', 'note', 'v']));
    expect(parsed).toEqual([['id', 'note', 'v'], ['t-1', 'has "quotes", commas\r\nand lines', '-0.5']]);
  });
});

/** Minimal RFC 4180 parser for the round-trip check. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"') (quoted = true), i++;
    else if (ch === ',') record.push(field), (field = ''), i++;
    else if (ch === '\r' && text[i + 1] === '\n') record.push(field), records.push(record), (record = []), (field = ''), (i += 2);
    else (field += ch), i++;
  }
  return records;
}

describe('parseCsv (the one CSV reader)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, a BOM and CRLF', async () => {
    const { parseCsv: read } = await import('../../../src/store/csv.ts');
    const text = '\ufeffid,note,v\r\nt-1,"has ""quotes"", commas\r\nand lines",-0.5\r\n\r\nt-2,plain,3\r\n';
    expect(read(text)).toEqual({ header: ['id', 'note', 'v'], rows: [['t-1', 'has "quotes", commas\r\nand lines', '-0.5'], ['t-2', 'plain', '3']] });
    const rows = [{ id: 'x', note: ' padded, "q"\n', v: 1 }];
    expect(read(toCsv(rows, ['id', 'note', 'v'])).rows).toEqual([['x', ' padded, "q"\n', '1']]);
  });

  it('refuses semicolon- and tab-separated files, ragged rows and open quotes with a clear error', async () => {
    const { parseCsv: read, CsvFileError } = await import('../../../src/store/csv.ts');
    expect(() => read('a;b;c\n1;2;3\n', 'pool.csv')).toThrow(/pool\.csv: the header looks semicolon-separated .*comma-separated/);
    expect(() => read('a\tb\n1\t2\n', 'pool.csv')).toThrow(/tab-separated/);
    expect(() => read('a,b\n1,2\n3\n', 'pool.csv')).toThrow(CsvFileError);
    expect(() => read('a,b\n1,2\n3\n', 'pool.csv')).toThrow(/pool\.csv: line 3/);
    expect(() => read('a,b\n1,"2\n', 'pool.csv')).toThrow(/never closed/);
    expect(() => read('', 'pool.csv')).toThrow(/no header row/);
  });
});
