import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { campaignSpecSchema, type CampaignSpec } from '../domain/index.ts';

/** Raised when a campaign file cannot be used; `issues` names every bad field by its path. */
export class CampaignFileError extends Error {
  constructor(readonly file: string, readonly issues: { path: string; message: string }[]) {
    super(`${file}: invalid campaign file\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'CampaignFileError';
  }
}

export function formatZodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Parses a campaign from YAML (or JSON) text; throws CampaignFileError with every problem. */
export function parseCampaign(text: string, file = '<campaign>'): CampaignSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new CampaignFileError(file, [{ path: '', message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const result = campaignSpecSchema.safeParse(raw);
  if (!result.success) throw new CampaignFileError(file, formatZodIssues(result.error));
  return result.data;
}

export async function loadCampaignFile(file: string): Promise<CampaignSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CampaignFileError(file, [{ path: '', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseCampaign(text, file);
}
