/**
 * The case loop the fuzz benches share (bench/fuzz-inputs.ts, bench/fuzz-opcua.ts): draws `cases` inputs of a
 * surface with a fixed seed, runs each against the surface's live target and classifies it accepted / rejected
 * (typed) / untyped / out-of-envelope, or hang (no outcome within the surface's case timeout) / crash (an exception
 * escaping the case, synchronously or as an uncaught error or unhandled rejection while it ran).
 */
import fc from 'fast-check';
import type { CaseOutcome } from '../tests/helpers/opcua-fuzz.ts';

export type Verdict = CaseOutcome['kind'] | 'hang' | 'crash';

/** What the loop needs of a surface (tests/helpers/input-fuzz.ts and tests/helpers/opcua-fuzz.ts both fit). */
export interface CaseSurface<I> {
  name: string;
  arbitrary: fc.Arbitrary<I>;
  caseTimeout_ms: number;
  open(): Promise<{ run(input: I): Promise<CaseOutcome>; close(): Promise<void> }>;
}

export interface CaseLoopResult {
  counts: Record<Verdict, number>;
  /** Typed refusal reasons with their counts, most frequent first. */
  refusals: [string, number][];
  /** The first 10 cases that were neither accepted nor a typed refusal. */
  examples: { verdict: Verdict; detail: string; input: string }[];
  wall_s: number;
}

export interface CaseLoopOptions<I> {
  cases: number;
  seed: number;
  /** A progress line on stderr every this many cases. */
  progressEvery: number;
  progressLabel: string;
  /** How an input is shown in `examples` (already shortened by the caller). */
  show(input: I): string;
}

/** True when any case ended in a way the issue allows none of. */
export function anyFailure(counts: Record<Verdict, number>): boolean {
  return counts.untyped + counts['out-of-envelope'] + counts.hang + counts.crash > 0;
}

export async function runFuzzCases<I>(surface: CaseSurface<I>, options: CaseLoopOptions<I>): Promise<CaseLoopResult> {
  const counts: Record<Verdict, number> = { accepted: 0, rejected: 0, untyped: 0, 'out-of-envelope': 0, hang: 0, crash: 0 };
  const reasons = new Map<string, number>();
  const examples: CaseLoopResult['examples'] = [];
  const escaped: unknown[] = [];
  const onEscape = (e: unknown): void => void escaped.push(e);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  const t0 = performance.now();
  try {
    const target = await surface.open();
    try {
      const inputs = fc.sample(surface.arbitrary, { seed: options.seed, numRuns: options.cases });
      for (const [i, input] of inputs.entries()) {
        let verdict: Verdict;
        let detail = '';
        let timer: NodeJS.Timeout | undefined;
        const before = escaped.length;
        try {
          const outcome = await Promise.race([target.run(input), new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), surface.caseTimeout_ms)))]);
          verdict = escaped.length > before ? 'crash' : outcome.kind;
          detail = 'reason' in outcome ? outcome.reason : 'detail' in outcome ? outcome.detail : '';
        } catch (e) {
          verdict = 'crash';
          detail = String(e);
        } finally {
          clearTimeout(timer);
        }
        counts[verdict]++;
        if (verdict === 'rejected') reasons.set(detail, (reasons.get(detail) ?? 0) + 1);
        if (verdict !== 'accepted' && verdict !== 'rejected' && examples.length < 10) examples.push({ verdict, detail: detail.slice(0, 300), input: options.show(input) });
        if ((i + 1) % options.progressEvery === 0) process.stderr.write(`${options.progressLabel}: ${i + 1}/${options.cases}\n`);
      }
    } finally {
      await target.close();
    }
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
  return { counts, refusals: [...reasons].sort((a, b) => b[1] - a[1]), examples, wall_s: (performance.now() - t0) / 1000 };
}
