// ESLint rule enforcing the import directions of ARCHITECTURE.md ("who may import whom").
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Layer of a repo-relative path: `src/<sub>` or the top-level folder. */
export function layerOf(relPath) {
  const parts = relPath.split(/[\\/]/);
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : 'src';
  return parts.length > 1 ? parts[0] : '.';
}

const EVERYTHING = '*';
/** Our folders each layer may import (its own layer is always allowed). */
export const ALLOWED_LAYERS = {
  'src/domain': [],
  'src/protocol': ['src/domain'],
  'src/plans': ['src/domain', 'src/protocol', 'src/devices'],
  'src/devices': ['src/domain'],
  'src/engine': ['src/domain', 'src/protocol', 'src/devices', 'src/safety'],
  'src/safety': ['src/domain', 'src/protocol', 'src/devices'],
  'src/store': ['src/domain', 'src/protocol'],
  'src/console': ['src/domain', 'src/protocol'],
  'src/config': ['src/domain'],
  drivers: ['src/domain', 'src/devices'],
  simulators: ['src/domain', 'src/devices', 'drivers-contract'],
  models: ['src/domain'],
  agents: ['src/domain', 'src/protocol', 'src/plans', 'models', 'src/devices'],
  'src/app': EVERYTHING,
  'src/cli': EVERYTHING,
  tests: EVERYTHING,
  bench: EVERYTHING,
  bin: EVERYTHING,
  'eslint-rules': EVERYTHING,
  '.': EVERYTHING,
};

/** Packages a layer must not import (I/O libraries where the layer must stay pure). */
const IO_PACKAGES = ['mqtt', 'aedes', 'node-opcua', 'pg', '@electric-sql/pglite', 'drizzle-orm', 'socket.io', 'socket.io-client', 'node:fs', 'fs', 'node:net', 'net', 'node:http', 'http', 'playwright-core'];
export const FORBIDDEN_PACKAGES = {
  'src/domain': { only: ['zod'] },
  'src/protocol': { only: ['zod'] },
  'src/plans': { only: ['zod'] },
  'src/devices': { deny: ['mqtt', 'aedes', 'node-opcua'] },
  'src/engine': { deny: IO_PACKAGES },
  'src/safety': { deny: IO_PACKAGES },
  models: { deny: IO_PACKAGES },
  agents: { deny: ['mqtt', 'aedes', 'node-opcua', 'pg', '@electric-sql/pglite', 'drizzle-orm', 'socket.io'] },
  drivers: { deny: ['aedes', 'pg', '@electric-sql/pglite', 'drizzle-orm', 'socket.io'] },
  simulators: { deny: ['pg', '@electric-sql/pglite', 'drizzle-orm', 'socket.io'] },
  'src/store': { deny: ['mqtt', 'aedes', 'node-opcua', 'socket.io'] },
};

/** Simulators may import the drivers' wire contracts (topics, node maps, technique parameters) and transports, nothing else of drivers. */
function isDriverContract(rel) {
  return /^drivers\/(transport\/|[^/]+\/(wire-contract|node-map|technique-params)[^/]*\.ts$)/.test(rel.replace(/\\/g, '/'));
}

function packageName(spec) {
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function checkImport(fromRel, spec) {
  const from = layerOf(fromRel);
  if (spec.startsWith('.')) {
    const targetRel = path.relative(ROOT, path.resolve(ROOT, path.dirname(fromRel), spec)).replace(/\\/g, '/');
    const to = layerOf(targetRel);
    const allowed = ALLOWED_LAYERS[from];
    if (allowed === undefined || allowed === EVERYTHING || to === from) return undefined;
    if (allowed.includes(to)) return undefined;
    if (to === 'drivers' && allowed.includes('drivers-contract') && isDriverContract(targetRel)) return undefined;
    return `${from} must not import ${to} (${spec}); see ARCHITECTURE.md "Who may import whom"`;
  }
  const rule = FORBIDDEN_PACKAGES[from];
  if (!rule) return undefined;
  const pkg = packageName(spec);
  if (rule.only && !rule.only.includes(pkg)) return `${from} may import only ${rule.only.join(', ')}, not ${pkg}`;
  if (rule.deny && rule.deny.includes(pkg)) return `${from} must not import ${pkg} (I/O or a forbidden layer)`;
  return undefined;
}

export default {
  meta: { type: 'problem', docs: { description: 'enforce the import directions of ARCHITECTURE.md' }, schema: [] },
  create(context) {
    const fromRel = path.relative(ROOT, context.filename).replace(/\\/g, '/');
    if (fromRel.startsWith('..')) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const message = checkImport(fromRel, source.value);
      if (message) context.report({ node, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => (node.source.type === 'Literal' ? check(node, node.source) : undefined),
    };
  },
};
