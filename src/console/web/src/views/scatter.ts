/// <reference lib="dom" />
/**
 * A small SVG scatter plot (objective vs parameter, parity, Pareto front): points with optional error bars and
 * highlight, an optional y = x diagonal and an optional polyline through a front. No dependencies.
 */
const NS = 'http://www.w3.org/2000/svg';

export interface ScatterPoint {
  x: number;
  y: number;
  /** ± error on y (drawn as a vertical bar). */
  err?: number;
  highlight?: boolean;
  title?: string;
}

export interface ScatterOptions {
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  diagonal?: boolean;
  /** Points joined by a line (e.g. the Pareto front), in drawing order. */
  line?: { x: number; y: number }[];
  empty?: string;
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Rounded tick positions covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function extent(values: number[], pad = 0.06): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) {
    const d = Math.abs(lo) * 0.05 || 1;
    lo -= d;
    hi += d;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

export function scatterSvg(points: ScatterPoint[], opts: ScatterOptions): SVGSVGElement {
  const W = opts.width ?? 420;
  const H = opts.height ?? 260;
  const m = { l: 56, r: 12, t: 10, b: 40 };
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'scatter', role: 'img', 'aria-label': `${opts.yLabel} vs ${opts.xLabel}` });
  const xs = points.map((p) => p.x).concat(opts.line?.map((p) => p.x) ?? []);
  const ys = points.flatMap((p) => (p.err ? [p.y - p.err, p.y + p.err] : [p.y])).concat(opts.line?.map((p) => p.y) ?? []);
  let [x0, x1] = extent(xs);
  let [y0, y1] = extent(ys);
  if (opts.diagonal) {
    x0 = y0 = Math.min(x0, y0);
    x1 = y1 = Math.max(x1, y1);
  }
  const sx = (v: number): number => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (v: number): number => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  svg.append(el('rect', { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, class: 'plot-bg' }));
  for (const t of ticks(x0, x1)) {
    svg.append(el('line', { x1: sx(t), x2: sx(t), y1: m.t, y2: H - m.b, class: 'grid' }));
    svg.append(el('text', { x: sx(t), y: H - m.b + 14, 'text-anchor': 'middle', class: 'tick' }, String(Number(t.toPrecision(4)))));
  }
  for (const t of ticks(y0, y1)) {
    svg.append(el('line', { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), class: 'grid' }));
    svg.append(el('text', { x: m.l - 4, y: sy(t) + 3, 'text-anchor': 'end', class: 'tick' }, String(Number(t.toPrecision(4)))));
  }
  svg.append(el('text', { x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' }, opts.xLabel));
  svg.append(el('text', { x: 12, y: (m.t + H - m.b) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})`, class: 'axis-label' }, opts.yLabel));
  if (points.length === 0) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, opts.empty ?? 'no data yet'));
    return svg;
  }
  if (opts.diagonal) svg.append(el('line', { x1: sx(x0), y1: sy(y0), x2: sx(x1), y2: sy(y1), class: 'diagonal' }));
  if (opts.line && opts.line.length > 1) {
    svg.append(el('polyline', { points: opts.line.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' '), class: 'front' }));
  }
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    if (p.err) svg.append(el('line', { x1: sx(p.x), x2: sx(p.x), y1: sy(p.y - p.err), y2: sy(p.y + p.err), class: 'err' }));
    const c = el('circle', { cx: sx(p.x), cy: sy(p.y), r: p.highlight ? 4.5 : 3.5, class: p.highlight ? 'pt hi' : 'pt' });
    if (p.title) c.append(el('title', {}, p.title));
    svg.append(c);
  }
  return svg;
}
