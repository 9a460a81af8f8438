/**
 * T5: the simulated lab judged by its truth (issue 11). Full dry runs over seeds, arms paired on seeds, every trial
 * judged by the hidden landscape's noise-free η10. Usage: npm run bench:lab -- --help
 */
import path from 'node:path';
import { runLabBenchmark, writeLabReport } from './lab/lab-bench.ts';
import { LAB_USAGE, parseLabOptions } from './lab/options.ts';
import { labMarkdown } from './lab/report.ts';

try {
  const options = parseLabOptions(process.argv.slice(2));
  if (options === 'help') process.stdout.write(`${LAB_USAGE}\n`);
  else {
    const command = ['npm run bench:lab --', ...process.argv.slice(2)].join(' ');
    const result = await runLabBenchmark(options, command);
    const files = writeLabReport(result, options.out, options.name);
    process.stdout.write(`${labMarkdown(result)}\n\nwrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
    if (result.errors.length > 0) process.exitCode = 1;
  }
} catch (e) {
  const err = e as Error;
  process.stderr.write(`bench:lab: ${err.message}\n`);
  if (err.name !== 'BenchUsageError' && process.env['LABLOOP_DEBUG']) process.stderr.write(`${err.stack}\n`);
  process.exitCode = err.name === 'BenchUsageError' ? 2 : 1;
}
