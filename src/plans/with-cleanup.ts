import type { Plan } from '../protocol/index.ts';

/**
 * Runs `body`, then `cleanup` whether the body finished or the engine threw a failure into it. The failure is
 * re-raised after cleanup, so the engine still records it.
 */
export function* withCleanup<R>(body: Plan<R>, cleanup: () => Plan<void>): Plan<R> {
  try {
    return yield* body;
  } finally {
    yield* cleanup();
  }
}
