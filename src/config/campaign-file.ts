import { campaignSpecSchema, type CampaignSpec } from '../domain/index.ts';
import { libraryIssues } from '../domain/recipe.ts';
import { DocumentFileError, parseDocument, readDocument, type FileIssue } from './document-file.ts';

export { formatZodIssues } from './document-file.ts';

/** Raised when a campaign file cannot be used; `issues` names every bad field by its path. */
export class CampaignFileError extends DocumentFileError {
  constructor(file: string, issues: FileIssue[]) {
    super(file, 'campaign file', issues);
    this.name = 'CampaignFileError';
  }
}

/** Parses a campaign from YAML (or JSON) text; throws CampaignFileError with every problem. */
export function parseCampaign(text: string, file = '<campaign>'): CampaignSpec {
  const spec = parseDocument(text, campaignSpecSchema, (issues) => new CampaignFileError(file, issues));
  // Rows of a recipe library must be recipes of the space (bounds, simplex sums, constraints).
  const issues = libraryIssues(spec);
  if (issues.length > 0) throw new CampaignFileError(file, issues);
  return spec;
}

export async function loadCampaignFile(file: string): Promise<CampaignSpec> {
  return parseCampaign(await readDocument(file, (issues) => new CampaignFileError(file, issues)), file);
}
