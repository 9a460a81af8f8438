import { DataType, DataValue, StatusCodes, Variant, VariantArrayType, type CallMethodResultOptions, type ISessionContext, type UAMethod, type UAObject, type UAVariable } from 'node-opcua';

/** Most bytes one Read returns (a client reads in a loop until it gets an empty ByteString). */
export const FILE_READ_CHUNK = 64 * 1024;
/** Handles one file keeps open at once (all sessions together). */
const MAX_OPEN = 16;
/** FileType Open modes (OPC 10000-5 C.2.1): bit 0 Read, 1 Write, 2 EraseExisting, 3 Append. */
const MODE_READ = 1;

const sessionOf = (c: ISessionContext): string => c.session?.getSessionId().toString() ?? 'local';
const uint64 = (n: number): [number, number] => [Math.floor(n / 2 ** 32), n % 2 ** 32];
const fromUint64 = (v: unknown): number => (Array.isArray(v) ? (Number(v[0]) * 2 ** 32 + Number(v[1])) : Number(v));

/**
 * A read-only OPC UA FileType object (OPC 10000-5 Annex C) over content made on first use (a Size read or an Open):
 * Open (read mode only), Read, GetPosition, SetPosition, Close; Write and write modes answer BadNotWritable. Handles
 * belong to the session that opened them and are dropped when it closes (`releaseSession`).
 */
export class ReadOnlyFileNode {
  private readonly handles = new Map<number, { session: string; position: number }>();
  private nextHandle = 1;
  private made: Buffer | undefined;

  constructor(
    private readonly file: UAObject,
    private readonly make: () => Buffer,
  ) {
    const put = (name: string, dataType: DataType, value: unknown): void =>
      (file.getPropertyByName(name) as UAVariable | null)?.setValueFromSource({ dataType, arrayType: VariantArrayType.Scalar, value });
    // A refresh function, not a getter: node-opcua calls a getter once when it is bound, which made every result's
    // content (a CSV of all its curves) at once, for every run, read or not (ADR 0096).
    (file.getPropertyByName('Size') as UAVariable | null)?.bindVariable(
      {
        refreshFunc: (callback) => {
          try {
            callback(null, new DataValue({ value: new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: uint64(this.content.length) }), sourceTimestamp: new Date(), serverTimestamp: new Date() }));
          } catch (e) {
            callback(e as Error);
          }
        },
      },
      true,
    );
    put('Writable', DataType.Boolean, false);
    put('UserWritable', DataType.Boolean, false);
    this.updateOpenCount();
    this.bind('Open', (args, c) => this.open(args, c));
    this.bind('Close', (args, c) => this.close(args, c));
    this.bind('Read', (args, c) => this.read(args, c));
    this.bind('Write', () => ({ statusCode: StatusCodes.BadNotWritable }));
    this.bind('GetPosition', (args, c) => this.getPosition(args, c));
    this.bind('SetPosition', (args, c) => this.setPosition(args, c));
  }

  private get content(): Buffer {
    this.made ??= this.make();
    return this.made;
  }

  /** A session went away: its handles go with it. */
  releaseSession(sessionId: string): void {
    for (const [h, s] of this.handles) if (s.session === sessionId) this.handles.delete(h);
    this.updateOpenCount();
  }

  private bind(name: string, f: (args: Variant[], c: ISessionContext) => CallMethodResultOptions): void {
    const m = this.file.getMethodByName(name) as UAMethod | null;
    m?.bindMethod(async (args: Variant[], c: ISessionContext) => f(args, c));
  }

  private updateOpenCount(): void {
    (this.file.getPropertyByName('OpenCount') as UAVariable | null)?.setValueFromSource({ dataType: DataType.UInt16, value: this.handles.size });
  }

  private handleOf(args: Variant[], c: ISessionContext): { h: number; state: { session: string; position: number } } | undefined {
    const h = Number(args[0]?.value);
    const state = this.handles.get(h);
    return state && state.session === sessionOf(c) ? { h, state } : undefined;
  }

  private open(args: Variant[], c: ISessionContext): CallMethodResultOptions {
    const mode = Number(args[0]?.value);
    if (!Number.isInteger(mode) || mode < 0 || mode > 15) return { statusCode: StatusCodes.BadInvalidArgument };
    if (mode !== MODE_READ) return { statusCode: StatusCodes.BadNotWritable };
    if (this.handles.size >= MAX_OPEN) return { statusCode: StatusCodes.BadTooManyOperations };
    const h = this.nextHandle++;
    this.handles.set(h, { session: sessionOf(c), position: 0 });
    this.updateOpenCount();
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.UInt32, value: h }] };
  }

  private close(args: Variant[], c: ISessionContext): CallMethodResultOptions {
    const found = this.handleOf(args, c);
    if (!found) return { statusCode: StatusCodes.BadInvalidArgument };
    this.handles.delete(found.h);
    this.updateOpenCount();
    return { statusCode: StatusCodes.Good };
  }

  private read(args: Variant[], c: ISessionContext): CallMethodResultOptions {
    const found = this.handleOf(args, c);
    const length = Number(args[1]?.value);
    if (!found || !Number.isInteger(length) || length < 0) return { statusCode: StatusCodes.BadInvalidArgument };
    const { state } = found;
    const n = Math.min(length, FILE_READ_CHUNK, this.content.length - state.position);
    const data = this.content.subarray(state.position, state.position + Math.max(0, n));
    state.position += data.length;
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.ByteString, value: Buffer.from(data) }] };
  }

  private getPosition(args: Variant[], c: ISessionContext): CallMethodResultOptions {
    const found = this.handleOf(args, c);
    if (!found) return { statusCode: StatusCodes.BadInvalidArgument };
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: uint64(found.state.position) }] };
  }

  private setPosition(args: Variant[], c: ISessionContext): CallMethodResultOptions {
    const found = this.handleOf(args, c);
    const position = fromUint64(args[1]?.value);
    if (!found || !Number.isFinite(position) || position < 0) return { statusCode: StatusCodes.BadInvalidArgument };
    found.state.position = Math.min(position, this.content.length);
    return { statusCode: StatusCodes.Good };
  }
}
