import type { ApprovalPolicy, RecoveryPolicy } from '../../agents/trial-ports.ts';
import { busFeed, ensureWebBuilt, startConsoleServer, startConsoleWorker, type ConsoleServer, type TokenEntry } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import type { Engine } from '../engine/engine.ts';
import type { DocumentBus } from '../protocol/index.ts';
import type { Store } from '../store/store.ts';
import { EngineCampaignCommands } from './console-commands.ts';
import { OperatorDecisions } from './console-decisions.ts';
import type { PlannerQuestions } from './planner-questions.ts';
import { storeConsoleReader } from './console-reader.ts';
import type { LabExecutor } from './lab-executor.ts';
import type { StockKeeper } from './stock-keeper.ts';

/** `labloop dry-run --console [port]`: the console beside a running dry run. */
export interface DryRunConsoleOptions {
  /** 0 picks a free port. */
  port: number;
  /** 'worker' (default): the console runs in its own worker thread (ADR 0031); 'main': on the run's thread. */
  thread?: 'worker' | 'main';
  /** Default 127.0.0.1. */
  host?: string;
  tokens: readonly TokenEntry[];
  insecureLocal?: boolean;
  /** Called once the console listens, before the campaign starts; the campaign waits for a returned promise. */
  onReady?: (info: { url: string; campaignId: string }) => void | Promise<void>;
  /** Awaited after the campaign ended and its results were written, before the console closes (the CLI waits for Ctrl-C). */
  linger?: (info: { url: string; campaignId: string }) => Promise<void>;
}

export interface DryRunConsoleDeps {
  campaignId: string;
  bus: DocumentBus;
  store: Store;
  engine: Engine;
  executor: LabExecutor;
  /** The campaign's stock solutions (`refill-stock`, ADR 0113). */
  stocks?: StockKeeper | undefined;
  logger: Logger;
  /** Operators approve suggestions and decide recoveries (the campaign's `strategy.approval: human`). */
  humanApproval: boolean;
  /** The planner's questions to operators (hybrid campaigns, ADR 0076). */
  questions?: PlannerQuestions | undefined;
  /** The dry run's interrupt signal: pending decisions are cancelled when it fires. */
  signal?: AbortSignal | undefined;
  options: DryRunConsoleOptions;
}

export interface DryRunConsole {
  readonly url: string;
  /** Operator approvals in human-approval mode; undefined: keep the automatic policy. */
  readonly approvals: ApprovalPolicy | undefined;
  readonly recovery: RecoveryPolicy | undefined;
  readonly decisions: OperatorDecisions | undefined;
  readonly server: ConsoleServer;
  /** Lingers (options.linger), then closes. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export async function startDryRunConsole(deps: DryRunConsoleDeps): Promise<DryRunConsole> {
  const { campaignId, options, logger } = deps;
  await ensureWebBuilt({ logger });
  const decisions = deps.humanApproval ? new OperatorDecisions() : undefined;
  const commands = new EngineCampaignCommands({ campaignId, bus: deps.bus, engine: deps.engine, executor: deps.executor, decisions, questions: deps.questions, stocks: deps.stocks, logger: logger.child({ component: 'console-commands' }) });
  const start = options.thread === 'main' ? startConsoleServer : startConsoleWorker;
  const server = await start({
    controlled: [campaignId],
    reader: storeConsoleReader(deps.store),
    feed: busFeed(deps.bus),
    commands,
    tokens: options.tokens,
    insecureLocal: options.insecureLocal ?? false,
    logger,
    host: options.host ?? '127.0.0.1',
    port: options.port,
  });
  const onAbort = (): void => {
    decisions?.cancelAll('interrupt', 'dry run interrupted');
    deps.questions?.cancelAll('interrupt', 'dry run interrupted');
  };
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  await options.onReady?.({ url: server.url, campaignId });
  const close = async (): Promise<void> => {
    deps.signal?.removeEventListener('abort', onAbort);
    decisions?.cancelAll('shutdown', 'console closed');
    deps.questions?.cancelAll('shutdown', 'console closed');
    await server.close();
  };
  return {
    url: server.url,
    approvals: decisions,
    recovery: decisions,
    decisions,
    server,
    async finish() {
      await options.linger?.({ url: server.url, campaignId });
      await close();
    },
    close,
  };
}
