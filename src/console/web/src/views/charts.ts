/// <reference lib="dom" />
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BestPoint, CurvePreview } from '../campaign-model.ts';

/** A uPlot chart that follows its container's width. */
abstract class Chart {
  protected plot: uPlot | undefined;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(protected readonly host: HTMLElement, protected readonly height: number) {
    this.resize.observe(host);
  }

  protected width(): number {
    return Math.max(240, Math.floor(this.host.clientWidth || 400));
  }

  private fit(): void {
    this.plot?.setSize({ width: this.width(), height: this.height });
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}

/** Best-so-far of the first objective against completed trials, with every observation as a dot. */
export class BestSoFarChart extends Chart {
  private shown = -1;

  constructor(host: HTMLElement) {
    super(host, 220);
  }

  update(points: readonly BestPoint[], yLabel: string): void {
    if (points.length === this.shown) return;
    this.shown = points.length;
    const data: uPlot.AlignedData = [points.map((p) => p.n), points.map((p) => p.value), points.map((p) => p.best)];
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: this.width(),
          height: this.height,
          scales: { x: { time: false } },
          legend: { show: true },
          axes: [{ label: 'completed trials' }, { label: yLabel, size: 60 }],
          series: [
            { label: 'trial' },
            { label: 'observed', stroke: '#7a9cc6', paths: () => null, points: { show: true, size: 6, fill: '#7a9cc6' } },
            { label: 'best so far', stroke: '#c0392b', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), points: { show: false } },
          ],
        },
        data,
        this.host,
      );
    } else this.plot.setData(data);
    this.host.dataset.points = String(points.length);
  }
}

/** The latest curve of the run in progress (LSV / CV preview from the event documents). */
export class CurveChart extends Chart {
  private shownRun: string | undefined;
  private labels = '';

  constructor(host: HTMLElement) {
    super(host, 220);
  }

  update(curve: CurvePreview | undefined): void {
    if (!curve || curve.runId === this.shownRun) return;
    this.shownRun = curve.runId;
    const data: uPlot.AlignedData = [curve.x, curve.y];
    const labels = `${curve.xLabel}|${curve.yLabel}`;
    if (this.plot && labels !== this.labels) {
      this.plot.destroy();
      this.plot = undefined;
    }
    this.labels = labels;
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: this.width(),
          height: this.height,
          scales: { x: { time: false } },
          legend: { show: false },
          axes: [{ label: curve.xLabel }, { label: curve.yLabel, size: 60 }],
          series: [{}, { stroke: '#2c7a4b', width: 2, points: { show: false } }],
        },
        data,
        this.host,
      );
    } else this.plot.setData(data);
    this.host.dataset.run = curve.runId;
  }
}
