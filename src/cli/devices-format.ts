import type { LadsFunction, LadsServerInfo, LadsTemplate, LadsUnit } from '../../drivers/lads/lads-model.ts';
import type { PlainValue } from '../../drivers/lads/lads-values.ts';

/** `labloop devices inspect` as an indented tree for people (the `--json` output carries the same facts). */
export function formatServerInfo(info: LadsServerInfo): string {
  const out: string[] = [`${info.endpointUrl}  (LADS namespace index ${info.ladsNamespaceIndex})`];
  if (info.devices.length === 0) out.push('  no LADS devices found');
  for (const d of info.devices) {
    const states = d.availableStates.length > 0 ? ` (of ${d.availableStates.join(', ')})` : '';
    out.push(`device ${d.name}  [${d.type}, ${d.namespaceUri}]  state ${d.state ?? 'unknown'}${states}`);
    const id = d.identification;
    const ident = [id['Manufacturer'], id['Model'], id['SerialNumber'] ? `SN ${id['SerialNumber']}` : undefined, id['SoftwareRevision'] ? `SW ${id['SoftwareRevision']}` : undefined].filter(Boolean);
    if (ident.length > 0) out.push(`  ${ident.join(' · ')}`);
    for (const u of d.units) out.push(...formatUnit(u).map((l) => `  ${l}`));
  }
  return `${out.join('\n')}\n`;
}

function formatUnit(u: LadsUnit): string[] {
  const lock = u.lock.offered ? `lock offered, ${u.lock.locked ? `held by ${u.lock.lockingClient || 'another client'}` : 'free'}` : 'no lock';
  const state = `${u.state}${u.runningState ? `/${u.runningState}` : ''}`;
  const out = [`unit ${u.name}  [${u.type}]  ${state} — ${u.ready ? 'ready' : `not ready: ${u.notReadyReason ?? ''}`}   ${lock}`];
  const methods = Object.entries(u.methods).filter(([, v]) => v).map(([k]) => k.charAt(0).toUpperCase() + k.slice(1));
  out.push(`  methods: ${methods.join(' ') || 'none'}`);
  if (u.availableStates.length > 0) out.push(`  states: ${u.availableStates.join(', ')}`);
  out.push(`  functions:${u.functions.length === 0 ? ' none' : ''}`);
  out.push(...u.functions.flatMap((f) => formatFunction(f, '    ')));
  out.push(`  templates:${u.templates.length === 0 ? ' none' : ''}`);
  for (const t of u.templates) out.push(...formatTemplate(t));
  if (u.activeProgram?.runId) out.push(`  active program: run ${u.activeProgram.runId}${u.activeProgram.step ? `, step ${u.activeProgram.step}` : ''}`);
  out.push(`  results: ${u.results.count}${u.results.latest ? ` (latest ${u.results.latest})` : ''}`);
  return out;
}

function formatFunction(f: LadsFunction, indent: string): string[] {
  const value = f.value !== undefined ? `${show(f.value)}${f.unit ? ` ${f.unit}` : ''}` : '';
  const range = f.range ? `  range ${f.range[0]}…${f.range[1]}` : '';
  const target = f.targetValue !== undefined ? `  target ${show(f.targetValue)}${f.unit ? ` ${f.unit}` : ''}` : '';
  const state = f.state ? `  ${f.state}` : '';
  const disabled = f.enabled === false ? '  (disabled)' : '';
  const line = `${indent}${f.name.padEnd(18)} ${f.kind.padEnd(10)} ${value}${target}${range}${state}${disabled}`;
  return [line.trimEnd(), ...(f.functions ?? []).flatMap((c) => formatFunction(c, `${indent}  `))];
}

function formatTemplate(t: LadsTemplate): string[] {
  const by = [t.author, t.version ? `v${t.version}` : undefined].filter(Boolean).join(' ');
  const out = [`    ${t.name}${t.templateId && t.templateId !== t.name ? ` (id ${t.templateId})` : ''}${t.description ? ` — ${t.description}` : ''}${by ? ` [${by}]` : ''}`];
  for (const p of t.parameters) {
    const range = p.range ? `${p.range[0]}…${p.range[1]}` : '';
    const dflt = p.default !== undefined ? `default ${show(p.default)}` : '';
    out.push(`      ${p.name.padEnd(24)} ${p.dataType.padEnd(7)} ${(p.unit ?? '').padEnd(7)} ${range.padEnd(16)} ${dflt}`.trimEnd());
  }
  return out;
}

function show(v: PlainValue): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
  if (Array.isArray(v)) return `[${v.length} values]`;
  return JSON.stringify(v);
}
