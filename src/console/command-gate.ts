import type { Logger } from '../domain/index.ts';
import type { Principal } from './auth.ts';
import { ACTION_ROLE, consoleCommandSchema, describeIssues, mayAct, type Reply } from './console-protocol.ts';
import type { CampaignCommands } from './ports.ts';

/**
 * One path for every command, from a socket or from REST: parse with zod (a bad one is refused naming the problem
 * and changes nothing), check that this process runs the campaign, check the role, then hand it to the engine's
 * command API, which validates it against the current state and records it as an operatorAction document.
 */
export class CommandGate {
  constructor(
    private readonly commands: CampaignCommands | undefined,
    private readonly logger: Logger,
  ) {}

  async run(raw: unknown, principal: Principal): Promise<Reply<{ detail?: string }>> {
    const parsed = consoleCommandSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ actor: principal.actor, problem: describeIssues(parsed.error) }, 'console: malformed command refused');
      return { ok: false, code: 'invalid', error: `invalid command: ${describeIssues(parsed.error)}` };
    }
    const cmd = parsed.data;
    const log = { actor: principal.actor, role: principal.role, action: cmd.action, campaignId: cmd.campaignId };
    if (!this.commands || !this.commands.controls(cmd.campaignId)) {
      this.logger.warn(log, 'console: command for a campaign this process does not run');
      return { ok: false, code: 'read-only', error: `campaign "${cmd.campaignId}" is not run by this process: this console only watches it` };
    }
    const needed = ACTION_ROLE[cmd.action];
    if (!mayAct(principal.role, needed)) {
      const reason = `forbidden: role "${principal.role}" may watch but not ${cmd.action} (needs ${needed})`;
      this.commands.refuse(cmd, principal.actor, reason);
      this.logger.warn(log, 'console: command refused by role');
      return { ok: false, code: 'forbidden', error: reason };
    }
    try {
      const outcome = await this.commands.execute(cmd, principal.actor);
      if (!outcome.accepted) {
        this.logger.info({ ...log, reason: outcome.reason }, 'console: command refused by the engine');
        return { ok: false, code: 'refused', error: outcome.reason };
      }
      this.logger.info(log, 'console: command accepted');
      return { ok: true, ...(outcome.detail ? { detail: outcome.detail } : {}) };
    } catch (e) {
      this.logger.error({ ...log, err: (e as Error).message }, 'console: command failed');
      return { ok: false, code: 'internal', error: `command failed: ${(e as Error).message}` };
    }
  }
}
