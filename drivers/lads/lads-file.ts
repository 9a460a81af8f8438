import { DataType, type NodeId } from 'node-opcua';
import type { OpcuaClientTransport } from '../transport/opcua-client.ts';
import { pathOf } from './lads-browser.ts';
import { numberOf } from './lads-values.ts';

/** Bytes asked for per Read call. */
const CHUNK = 64 * 1024;

export class FileReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileReadError';
  }
}

/**
 * Reads an OPC UA FileType object (OPC 10000-5 Annex C) whole: Open(Read) → Read until an empty ByteString →
 * Close. Refuses files larger than `maxBytes` (declared Size, or bytes actually received).
 */
export async function readFileObject(t: OpcuaClientTransport, file: NodeId, maxBytes: number): Promise<Buffer> {
  const [open, read, close, size] = await t.translate([pathOf(['fileOpen']), pathOf(['fileRead']), pathOf(['fileClose']), pathOf(['fileSize'])], file);
  if (!open || !read || !close) throw new FileReadError('the file object has no Open/Read/Close methods');
  if (size) {
    const [dv] = await t.read([size]);
    const declared = numberOf(dv);
    if (declared !== undefined && declared > maxBytes) throw new FileReadError(`file of ${declared} bytes exceeds the limit of ${maxBytes}`);
  }
  const o = await t.call(file, open, [{ dataType: DataType.Byte, value: 1 }]);
  if (!o.statusCode.isGood()) throw new FileReadError(`Open: ${o.statusCode.name}`);
  const handle = o.outputs[0];
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const r = await t.call(file, read, [
        { dataType: DataType.UInt32, value: handle },
        { dataType: DataType.Int32, value: CHUNK },
      ]);
      if (!r.statusCode.isGood()) throw new FileReadError(`Read: ${r.statusCode.name}`);
      const data = r.outputs[0];
      if (!Buffer.isBuffer(data) || data.length === 0) break;
      total += data.length;
      if (total > maxBytes) throw new FileReadError(`file exceeds the limit of ${maxBytes} bytes`);
      parts.push(data);
    }
  } finally {
    await t.call(file, close, [{ dataType: DataType.UInt32, value: handle }]).catch(() => undefined);
  }
  return Buffer.concat(parts);
}
