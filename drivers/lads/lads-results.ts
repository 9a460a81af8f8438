import { NodeClass, type NodeId } from 'node-opcua';
import type { BrowsedNode, OpcuaClientTransport } from '../transport/opcua-client.ts';
import { LadsBrowser, pathOf } from './lads-browser.ts';
import { readFileObject } from './lads-file.ts';
import type { LadsResult, LadsResultFile, LadsValueTree } from './lads-model.ts';
import { textOf } from './lads-values.ts';
import { LADS_TYPES } from './node-map.ts';

export interface ReadResultOptions {
  /** Read the files' contents (default) or only list them. */
  fileContents?: boolean;
  /** Largest file read, bytes (default 16 MiB). */
  maxFileBytes?: number;
  /** Most variables read from a VariableSet (default 5000) and how deep nested objects are followed (default 6). */
  maxVariables?: number;
  maxDepth?: number;
}

const TEXT_MIME = /^(text\/|application\/(json|csv|xml|x-ndjson))/i;
const TEXT_NAME = /\.(csv|json|txt|tsv|xml|ndjson)$/i;

/**
 * Reads one result of a LADS ResultSet by browsing it: its identity (SupervisoryJobId/TaskId, DeviceProgramRunId,
 * Started/Stopped, Description), every variable of its VariableSet (nested objects become nested trees, each variable
 * with its data type and EngineeringUnits) and every file of its FileSet (Name, MimeType, URL; content read through
 * the FileType methods, as text for text formats and base64 otherwise).
 */
export async function readResult(t: OpcuaClientTransport, browser: LadsBrowser, result: BrowsedNode, o: ReadResultOptions = {}): Promise<LadsResult> {
  const keys = ['supervisoryJobId', 'supervisoryTaskId', 'deviceProgramRunId', 'started', 'stopped', 'description', 'variableSet', 'fileSet'] as const;
  const ids = await t.translate(keys.map((k) => pathOf([k])), result.nodeId);
  const at = (k: (typeof keys)[number]) => ids[keys.indexOf(k)];
  const values = await browser.readOptional(ids.slice(0, 6));
  const text = (i: number) => textOf(values[i]);
  const variableSet = at('variableSet');
  const fileSet = at('fileSet');
  return dropEmpty({
    nodeId: result.nodeId.toString(),
    name: result.name,
    jobId: text(0),
    taskId: text(1),
    runId: text(2),
    started: text(3),
    stopped: text(4),
    description: text(5),
    variables: variableSet ? await readVariableTree(t, browser, variableSet, o) : {},
    files: fileSet ? await readFiles(t, browser, fileSet, o) : [],
  });
}

async function readVariableTree(t: OpcuaClientTransport, browser: LadsBrowser, root: NodeId, o: ReadResultOptions): Promise<LadsValueTree> {
  const maxVariables = o.maxVariables ?? 5000;
  const maxDepth = o.maxDepth ?? 6;
  const found: { tree: LadsValueTree; name: string; nodeId: NodeId }[] = [];
  const walk = async (node: NodeId, tree: LadsValueTree, depth: number): Promise<void> => {
    for (const c of await t.browse(node, { referenceType: 'HasComponent', nodeClasses: [NodeClass.Variable, NodeClass.Object] })) {
      if (found.length >= maxVariables) return;
      if (c.nodeClass === NodeClass.Variable) found.push({ tree, name: c.name, nodeId: c.nodeId });
      else if (depth < maxDepth) {
        const sub: LadsValueTree = {};
        tree[c.name] = sub;
        await walk(c.nodeId, sub, depth + 1);
      }
    }
  };
  const tree: LadsValueTree = {};
  await walk(root, tree, 1);
  const infos = await browser.describeVariables(found.map((f) => f.nodeId));
  found.forEach((f, i) => {
    const info = infos[i];
    if (info) f.tree[f.name] = { value: info.value, dataType: info.dataType, ...(info.unit ? { unit: info.unit } : {}) };
  });
  return tree;
}

async function readFiles(t: OpcuaClientTransport, browser: LadsBrowser, fileSet: NodeId, o: ReadResultOptions): Promise<LadsResultFile[]> {
  const entries = await browser.childrenOfType(fileSet, browser.lads(LADS_TYPES.ResultFileType));
  const props = ['fileName', 'mimeType', 'url', 'file'] as const;
  const ids = await t.translateFrom(entries.flatMap((e) => props.map((p) => ({ start: e.nodeId, path: pathOf([p]) }))));
  const values = await browser.readOptional(ids.map((id, i) => (i % props.length === 3 ? undefined : id)));
  const out: LadsResultFile[] = [];
  for (const [k, e] of entries.entries()) {
    const v = (p: (typeof props)[number]) => textOf(values[k * props.length + props.indexOf(p)]);
    const file: LadsResultFile = dropEmpty({ name: v('fileName') ?? e.name, mimeType: v('mimeType'), url: v('url') });
    const fileNode = ids[k * props.length + 3];
    if (fileNode && (o.fileContents ?? true)) {
      try {
        const data = await readFileObject(t, fileNode, o.maxFileBytes ?? 16 * 1024 * 1024);
        file.size = data.length;
        if (TEXT_MIME.test(file.mimeType ?? '') || TEXT_NAME.test(file.name)) file.text = data.toString('utf8');
        else file.base64 = data.toString('base64');
      } catch (err) {
        file.error = (err as Error).message;
      }
    }
    out.push(file);
  }
  return out;
}

function dropEmpty<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}
