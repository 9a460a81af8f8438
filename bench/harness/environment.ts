import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/** Code version and machine facts written into every result file. */
export interface RunEnvironment {
  commit: string | null;
  /** Uncommitted changes under models/, agents/, bench/ or src/ when the run started. */
  dirty: boolean | null;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  loadAverage: number[];
  startedAt: string;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function runEnvironment(): RunEnvironment {
  const status = git(['status', '--porcelain', '--', 'models', 'agents', 'bench', 'src']);
  return {
    commit: git(['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    startedAt: new Date().toISOString(),
  };
}
