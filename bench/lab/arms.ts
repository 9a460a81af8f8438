import { z } from 'zod';
import { campaignSpecSchema, schemaIssues, type CampaignSpec } from '../../src/domain/index.ts';

/**
 * Arms of the lab benchmark: the campaign as it is (`default`) or with overrides of its `strategy`, so every strategy
 * knob (and every agent the campaign schema knows) is an arm without code:
 *   default                       the campaign file as is
 *   random | sobol | <agent>      a bare name that is a valid `strategy.agent` runs that agent
 *   ucb16:ucbBeta=16,kernel=rbf   name:key=value,… (values parsed as JSON when they parse, else strings;
 *                                 dotted keys reach nested options; keys under `budget.` set the campaign's
 *                                 budget instead, e.g. budget.confirmation.replicates=3)
 *   {"name":"x","strategy":{…}}   a JSON arm
 */
export interface LabArm {
  name: string;
  /** Strategy overrides (deep-merged into the campaign's strategy). */
  strategy: Record<string, unknown>;
  /** Budget overrides other than trials (e.g. `confirmation`, ADR 0060), deep-merged into the campaign's budget. */
  budget?: Record<string, unknown>;
}

export class ArmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

const jsonArmSchema = z.strictObject({
  name: z.string().regex(/^[\w.+-]+$/, 'letters, digits and . + - _ only'),
  strategy: z.record(z.string(), z.unknown()).default({}),
  budget: z.record(z.string(), z.unknown()).optional(),
});

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let obj = target;
  keys.slice(0, -1).forEach((k) => {
    const next = obj[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  });
  obj[keys[keys.length - 1] as string] = value;
}

/** Parses one arm argument (see the module comment). */
export function parseArm(text: string): LabArm {
  const t = text.trim();
  if (t.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch (e) {
      throw new ArmError(`bad arm JSON ${t}: ${(e as Error).message}`);
    }
    const r = jsonArmSchema.safeParse(raw);
    if (!r.success) throw new ArmError(`bad arm ${t}: ${r.error.issues.map((i) => `${i.path.join('.') || '(arm)'}: ${i.message}`).join('; ')}`);
    return r.data;
  }
  const colon = t.indexOf(':');
  const name = colon < 0 ? t : t.slice(0, colon);
  if (!/^[\w.+-]+$/.test(name)) throw new ArmError(`bad arm name "${name}": letters, digits and . + - _ only`);
  if (colon < 0) return name === 'default' ? { name, strategy: {} } : { name, strategy: { agent: name } };
  const strategy: Record<string, unknown> = {};
  const budget: Record<string, unknown> = {};
  for (const part of t.slice(colon + 1).split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ArmError(`bad arm override "${part}" in ${t}: use key=value`);
    const key = part.slice(0, eq).trim();
    const value = parseValue(part.slice(eq + 1).trim());
    if (key.startsWith('budget.')) setPath(budget, key.slice('budget.'.length), value);
    else setPath(strategy, key, value);
  }
  return Object.keys(budget).length > 0 ? { name, strategy, budget } : { name, strategy };
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Keys of `over` that `parsed` does not hold (the schema stripped them: unknown options). */
function unknownKeys(over: Record<string, unknown>, parsed: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(over).flatMap(([k, v]) => {
    if (!(k in parsed)) return [`${prefix}${k}`];
    const p = parsed[k];
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof p === 'object' && p !== null ? unknownKeys(v as Record<string, unknown>, p as Record<string, unknown>, `${prefix}${k}.`) : [];
  });
}

/** The campaign as an arm runs it; a bad override names the field and the reason. */
export function applyArm(spec: CampaignSpec, arm: LabArm): CampaignSpec {
  const strategy = merge(spec.strategy as Record<string, unknown>, arm.strategy);
  const budget = arm.budget ? merge(spec.budget as Record<string, unknown>, arm.budget) : spec.budget;
  const r = campaignSpecSchema.safeParse({ ...spec, strategy, budget });
  if (!r.success) {
    const bare = Object.keys(arm.strategy).length === 1 && arm.strategy['agent'] === arm.name;
    if (bare) throw new ArmError(`unknown arm "${arm.name}": not default and not an agent of the campaign schema`);
    throw new ArmError(`arm ${arm.name}: ${schemaIssues(r.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  const unknown = unknownKeys(arm.strategy, r.data.strategy as Record<string, unknown>);
  if (unknown.length > 0) throw new ArmError(`arm ${arm.name}: unknown strategy option(s) ${unknown.map((k) => `strategy.${k}`).join(', ')}`);
  return r.data;
}
