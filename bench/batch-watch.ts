/**
 * The batch check's false-alarm and detection rates, replayed on recorded bench:lab runs (ADR 0061).
 * Usage: npm run bench:batch-watch -- <lab.json …> [--variant name:key=value,…]… [--shifts 0.02,0.03,-0.03] [--from 8]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { replayAlarms, replayInjected, replayTrials } from './lab/batch-replay.ts';
import type { LabBenchResult } from './lab/report.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { variant: { type: 'string', multiple: true }, shifts: { type: 'string' }, from: { type: 'string' } },
});
if (positionals.length === 0) {
  process.stderr.write('usage: npm run bench:batch-watch -- <lab.json …> [--variant name:key=value,…]… [--shifts 0.02,0.03,-0.03] [--from 8]\n');
  process.exit(2);
}
const variants = (values.variant ?? ['adr0050:commonModeWindow=0,minShift=0', 'default']).map((v) => {
  const [name, rest] = v.split(':');
  const options: Record<string, number | boolean> = {};
  for (const kv of (rest ?? '').split(',').filter(Boolean)) {
    const [k, x] = kv.split('=');
    options[k as string] = x === 'true' ? true : x === 'false' ? false : Number(x);
  }
  return { name: name as string, options };
});
const shifts = (values.shifts ?? '0.02,0.03,0.045,-0.03').split(',').map(Number);
const from = Number(values.from ?? 8);
const runs = positionals.flatMap((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as LabBenchResult).runs);
const lines: string[] = [];
lines.push(`${runs.length} recorded runs (${positionals.join(', ')}); shift injected from each station's ${from}th watched trial, found within 8 of its trials`);
lines.push('');
lines.push(`| variant | runs with a false alarm | ${shifts.map((s) => `found +${(s * 1000).toFixed(0)} mV (median delay; wrong first)`).join(' | ')} |`);
lines.push(`| --- | ---: | ${shifts.map(() => '---:').join(' | ')} |`);
for (const v of variants) {
  const series = runs.map((r) => replayTrials(r.trials));
  const falseRuns = series.filter((t) => replayAlarms(t, v.options).length > 0).length;
  const cells = shifts.map((shift) => {
    let found = 0;
    let wrong = 0;
    let n = 0;
    const delays: number[] = [];
    for (const t of series)
      for (const station of [...new Set(t.map((x) => x.station))].sort()) {
        const o = replayInjected(t, station, from, shift, v.options);
        if (!o) continue;
        n++;
        if (o.wrong) wrong++;
        if (o.delay !== null) {
          found++;
          delays.push(o.delay);
        }
      }
    delays.sort((a, b) => a - b);
    const med = delays.length > 0 ? delays[Math.floor((delays.length - 1) / 2)] : null;
    return `${found}/${n} (${med ?? '—'}; ${wrong})`;
  });
  lines.push(`| ${v.name} | ${falseRuns}/${series.length} | ${cells.join(' | ')} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
