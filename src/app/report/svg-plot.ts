/** A small dependency-free SVG chart: scatter points plus step/line series, with axes and ticks. */
export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  /**
   * `area`: a filled polygon through the points (e.g. a band: the upper edge, then the lower edge reversed);
   * `marks`: an × at each x along the bottom of the plot (events without a value, e.g. failed trials; y is ignored).
   */
  style: 'dots' | 'step' | 'line' | 'area' | 'marks';
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** "Nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function renderSvgPlot(series: Series[], opts: PlotOptions): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 420;
  const m = { left: 70, right: 20, top: 40, bottom: 55 };
  const all = series.filter((s) => s.style !== 'marks').flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = [...all, ...series.filter((s) => s.style === 'marks').flatMap((s) => s.points)].map((p) => p.x).filter(Number.isFinite);
  const ys = all.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)];
  let [y0, y1] = all.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (x1 - x0 < 1e-12) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const sy = (y: number): number => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${sx(t)}" y1="${m.top}" x2="${sx(t)}" y2="${H - m.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t)}" y="${H - m.bottom + 18}" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" y1="${sy(t)}" x2="${W - m.right}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 8}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  for (const s of series) {
    if (s.style === 'marks') {
      const y = H - m.bottom - 7;
      for (const p of s.points.filter((q) => Number.isFinite(q.x))) {
        const x = sx(p.x);
        out.push(`<path d="M${(x - 4).toFixed(1)},${y - 4} L${(x + 4).toFixed(1)},${y + 4} M${(x - 4).toFixed(1)},${y + 4} L${(x + 4).toFixed(1)},${y - 4}" stroke="${s.color}" stroke-width="2"/>`);
      }
      continue;
    }
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (s.style === 'area') {
      if (pts.length > 2) out.push(`<path d="M${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' L')} Z" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    } else if (s.style === 'dots') {
      for (const p of pts) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}" fill-opacity="0.6"/>`);
    } else if (pts.length > 0) {
      const d: string[] = [];
      pts.forEach((p, i) => {
        const prev = pts[i - 1];
        if (i === 0) d.push(`M${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`);
        else if (s.style === 'step' && prev) d.push(`L${sx(p.x).toFixed(1)},${sy(prev.y).toFixed(1)} L${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`);
        else d.push(`L${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`);
      });
      out.push(`<path d="${d.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
  }
  // Series without a label (e.g. the band of a labelled line) get no legend entry.
  const labelled = series.filter((s) => s.label !== '');
  // Wide enough for the longest label (≈ 6.5 px a character at 12 px), at least 150 px.
  const legend = Math.max(150, Math.ceil(6.5 * Math.max(0, ...labelled.map((s) => s.label.length))) + 20);
  labelled.forEach((s, i) => {
    const y = m.top + 14 + i * 16;
    out.push(`<rect x="${W - m.right - legend}" y="${y - 9}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${W - m.right - legend + 15}" y="${y}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
