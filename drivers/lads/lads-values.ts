import { DataType, type DataValue } from 'node-opcua';

/** A value read from a LADS server, as plain JSON. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

const MIN_REAL_DATE = Date.UTC(1900, 0, 1);

/**
 * A DataValue as plain JSON: LocalizedText → text, QualifiedName → name, NodeId → its string, DateTime → ISO string
 * (OPC UA's "no date", 1601-01-01, and null → null), typed arrays → number arrays, Int64/UInt64 pairs → numbers,
 * ByteString → base64, Range → [low, high], EUInformation → its display name, other structures → their fields.
 * A bad status reads as null.
 */
export function plainValue(dv: DataValue | undefined): PlainValue {
  if (!dv || !dv.statusCode.isGood()) return null;
  return plain(dv.value.value as unknown, dv.value.dataType);
}

function plain(v: unknown, dataType?: DataType): PlainValue {
  if (v === null || v === undefined) return null;
  if ((dataType === DataType.Int64 || dataType === DataType.UInt64) && Array.isArray(v) && v.length === 2 && typeof v[0] === 'number') return v[0] * 2 ** 32 + (v[1] as number);
  if (ArrayBuffer.isView(v) && !(v instanceof Buffer)) return Array.from(v as unknown as ArrayLike<number>);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map((x) => plain(x, dataType));
  if (v instanceof Date) return v.getTime() > MIN_REAL_DATE ? v.toISOString() : null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('text' in o && 'locale' in o) return typeof o['text'] === 'string' ? o['text'] : null;
    if ('low' in o && 'high' in o && typeof o['low'] === 'number') return [o['low'], o['high'] as number];
    if ('displayName' in o && 'unitId' in o) return euText(o);
    if ('namespaceIndex' in o && 'name' in o && typeof o['name'] === 'string') return o['name'];
    if ('identifierType' in o && 'namespace' in o && typeof (o as { toString?: unknown }).toString === 'function') return String(v);
    const out: Record<string, PlainValue> = {};
    for (const [k, x] of Object.entries(o)) if (typeof x !== 'function' && !k.startsWith('_') && k !== 'schema') out[k] = plain(x);
    return out;
  }
  return String(v);
}

function euText(o: Record<string, unknown>): string {
  const d = o['displayName'] as { text?: unknown } | undefined;
  return typeof d?.text === 'string' ? d.text : '';
}

/** Unit symbol of an EngineeringUnits value (EUInformation.displayName). */
export function unitOf(dv: DataValue | undefined): string | undefined {
  const v = plainValue(dv);
  return typeof v === 'string' ? v : undefined;
}

/** [low, high] of an EURange value. */
export function rangeOf(dv: DataValue | undefined): [number, number] | undefined {
  const v = plainValue(dv);
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number' ? [v[0], v[1]] : undefined;
}

export const textOf = (dv: DataValue | undefined): string | undefined => {
  const v = plainValue(dv);
  return typeof v === 'string' ? v : undefined;
};

export const numberOf = (dv: DataValue | undefined): number | undefined => {
  const v = plainValue(dv);
  return typeof v === 'number' ? v : undefined;
};

/** Name of a built-in DataType id (ns=0), or the id itself. */
export function dataTypeName(dv: DataValue | undefined): string {
  const v = dv?.value.value as { namespace?: number; value?: unknown } | undefined;
  if (!v) return 'unknown';
  if (v.namespace === 0 && typeof v.value === 'number' && DataType[v.value]) return DataType[v.value] as string;
  return String(v);
}
