/**
 * Analytic test functions for T1 (BENCHMARKS.md), all minimised, on their usual domains, with their known optima.
 * Formulas and constants are the standard published ones (Branin; Hartmann-3/6 of Dixon & Szegő; Ackley).
 */
export interface AnalyticFunction {
  name: string;
  bounds: [number, number][];
  /** Global minimum value. */
  optimum: number;
  f(x: readonly number[]): number;
}

const branin: AnalyticFunction = {
  name: 'branin',
  bounds: [
    [-5, 10],
    [0, 15],
  ],
  optimum: 0.397887357729738,
  f([x1 = 0, x2 = 0]) {
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H_ALPHA = [1, 1.2, 3, 3.2];
const H3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((r) => r.map((v) => v * 1e-4));
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

function hartmann(x: readonly number[], A: number[][], P: number[][]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    const a = A[i] as number[];
    const p = P[i] as number[];
    for (let j = 0; j < a.length; j++) inner += (a[j] as number) * ((x[j] as number) - (p[j] as number)) ** 2;
    s += (H_ALPHA[i] as number) * Math.exp(-inner);
  }
  return -s;
}

const hartmann3: AnalyticFunction = {
  name: 'hartmann3',
  bounds: [
    [0, 1],
    [0, 1],
    [0, 1],
  ],
  optimum: -3.86278214782076,
  f: (x) => hartmann(x, H3_A, H3_P),
};

const hartmann6: AnalyticFunction = {
  name: 'hartmann6',
  bounds: Array.from({ length: 6 }, () => [0, 1] as [number, number]),
  optimum: -3.32236801141551,
  f: (x) => hartmann(x, H6_A, H6_P),
};

const ackley4: AnalyticFunction = {
  name: 'ackley4',
  bounds: Array.from({ length: 4 }, () => [-32.768, 32.768] as [number, number]),
  optimum: 0,
  f(x) {
    const d = x.length;
    let sq = 0;
    let cs = 0;
    for (const v of x) {
      sq += v * v;
      cs += Math.cos(2 * Math.PI * v);
    }
    return -20 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cs / d) + 20 + Math.E;
  },
};

export const ANALYTIC_FUNCTIONS: Record<string, AnalyticFunction> = { branin, hartmann3, hartmann6, ackley4 };

export function analyticFunction(name: string): AnalyticFunction {
  const f = ANALYTIC_FUNCTIONS[name];
  if (!f) throw new Error(`unknown analytic function "${name}" (have: ${Object.keys(ANALYTIC_FUNCTIONS).join(', ')})`);
  return f;
}
