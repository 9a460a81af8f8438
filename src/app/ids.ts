import { monotonicFactory } from 'ulid';
import { Rng } from '../domain/index.ts';

/** ULID factory (sortable, unique across processes) for command, trial, run and suggestion ids. */
export function createIdFactory(): () => string {
  const next = monotonicFactory();
  return () => next();
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface SeededIdOptions {
  /** The run's seed. */
  seed: number;
  /** Separates id streams that share a seed (the campaign id and how many times it was started). */
  salt: string;
  /** Milliseconds since the Unix epoch, from the simulated clock. */
  nowMs: () => number;
}

/**
 * ULID-shaped ids that derive from the seed, a salt and the sequence of calls only: 48 bits of time from the
 * simulated clock, then 80 bits from a seeded generator, increased by one within the same millisecond (monotonic, as
 * a ULID factory). Two dry runs with the same seed, salt and options mint the same ids in the same order, so their
 * outputs are byte-identical.
 */
export function createSeededIdFactory(opts: SeededIdOptions): () => string {
  const rng = new Rng(hash32(`${opts.seed}\u0000${opts.salt}`));
  let lastTime = -1;
  let random: number[] = [];
  return () => {
    const time = Math.max(0, Math.floor(opts.nowMs()));
    if (time > lastTime || random.length === 0) {
      lastTime = Math.max(lastTime, time);
      random = Array.from({ length: 16 }, () => rng.int(32));
    } else {
      increment(random);
    }
    return encodeTime(lastTime) + random.map((d) => CROCKFORD[d]).join('');
  };
}

function encodeTime(ms: number): string {
  let t = ms;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** Adds one to a base-32 digit string (wraps around on overflow, as 80 bits never overflow in practice). */
function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = (digits[i] ?? 0) + 1;
    if (d < 32) {
      digits[i] = d;
      return;
    }
    digits[i] = 0;
  }
}

/** FNV-1a, 32 bits: a stable seed from a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
