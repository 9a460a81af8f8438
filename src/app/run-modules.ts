import type { CampaignSpec } from '../domain/index.ts';
import { loadAgentFactory, type AgentFactory } from './agent-factory.ts';

/** The planner's modules (LangChain, LangGraph): loaded for a hybrid campaign only. */
export interface PlanningModules {
  createPlanner: typeof import('./planner.ts').createPlanner;
  createPlannerGraphs: typeof import('./planner.ts').createPlannerGraphs;
  plannerTriage: typeof import('./planner.ts').plannerTriage;
  PlannerQuestions: typeof import('./planner-questions.ts').PlannerQuestions;
}

/** The console's and the command queue's modules: loaded when a console runs beside the campaign or on PostgreSQL. */
export interface CommandModules {
  EngineCampaignCommands: typeof import('./console-commands.ts').EngineCampaignCommands;
  startCommandQueuePoller: typeof import('./command-queue-poller.ts').startCommandQueuePoller;
}

/**
 * What one run needs beyond the engine, loaded before anything starts (ADR 0095): only the modules of the campaign's
 * agent, and the planner, the generator's trainer and the console only when the run uses them. Loading them all
 * eagerly cost seconds of CPU and ≈ 150 MB of memory in every dry run.
 */
export interface RunModules {
  createAgent: AgentFactory;
  planning?: PlanningModules | undefined;
  createWorkerTrainer?: typeof import('./generative-trainer.ts').createWorkerTrainer | undefined;
  startDryRunConsole?: typeof import('./console-dry-run.ts').startDryRunConsole | undefined;
}

export async function loadRunModules(spec: CampaignSpec, opts: { console: boolean }): Promise<RunModules> {
  const kind = spec.strategy.agent;
  const [createAgent, planning, trainer, consoleModule] = await Promise.all([
    loadAgentFactory(kind),
    kind === 'hybrid' ? loadPlanningModules() : undefined,
    kind === 'generative' ? import('./generative-trainer.ts') : undefined,
    opts.console ? import('./console-dry-run.ts') : undefined,
  ]);
  return { createAgent, planning, createWorkerTrainer: trainer?.createWorkerTrainer, startDryRunConsole: consoleModule?.startDryRunConsole };
}

async function loadPlanningModules(): Promise<PlanningModules> {
  const [planner, questions] = await Promise.all([import('./planner.ts'), import('./planner-questions.ts')]);
  return { createPlanner: planner.createPlanner, createPlannerGraphs: planner.createPlannerGraphs, plannerTriage: planner.plannerTriage, PlannerQuestions: questions.PlannerQuestions };
}

export async function loadCommandModules(): Promise<CommandModules> {
  const [commands, poller] = await Promise.all([import('./console-commands.ts'), import('./command-queue-poller.ts')]);
  return { EngineCampaignCommands: commands.EngineCampaignCommands, startCommandQueuePoller: poller.startCommandQueuePoller };
}
