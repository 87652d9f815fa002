import { readFileSync } from 'node:fs';
import { AppError } from '../shared/app-error.js';
import { gaussian, seededRandom } from '../shared/random.js';

/** A labelled stream with drift: rows in order, and where (and what) changed. */
export interface Stream {
  name: string;
  features: string[];
  rows: { x: number[]; y: number }[];
  changes: { row: number; what: string }[];
}

export const STREAMS = ['sea', 'hyperplane', 'agrawal', 'dataset'] as const;
export type StreamName = (typeof STREAMS)[number];

/** Row indices where concepts change: at 1/4, 1/2 and 3/4 of the stream. */
const quarters = (n: number) => [Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4)];

/**
 * SEA concepts (Street & Kim, KDD 2001): three features uniform on [0, 10], label 1 when
 * x1 + x2 ≤ θ, θ moving 8 → 9 → 7 → 9.5 at each quarter (abrupt concept drift), 10 % label noise.
 * Sextant adds a covariate shift from the middle on: x1 and x2 are drawn from [0, 8].
 */
function sea(n: number, seed: number): Stream {
  const r = seededRandom(seed);
  const thetas = [8, 9, 7, 9.5];
  const cuts = quarters(n);
  const rows: Stream['rows'] = [];
  for (let i = 0; i < n; i++) {
    const concept = cuts.filter((c) => i >= c).length;
    const span = i >= cuts[1]! ? 8 : 10;
    const x = [r() * span, r() * span, r() * 10];
    let y = x[0]! + x[1]! <= thetas[concept]! ? 1 : 0;
    if (r() < 0.1) y = 1 - y;
    rows.push({ x, y });
  }
  return {
    name: 'sea',
    features: ['x1', 'x2', 'x3'],
    rows,
    changes: [
      { row: cuts[0]!, what: 'concept θ 8 → 9' },
      { row: cuts[1]!, what: 'concept θ 9 → 7; covariate shift x1, x2 ~ U[0, 8]' },
      { row: cuts[2]!, what: 'concept θ 7 → 9.5' },
    ],
  };
}

/**
 * Rotating hyperplane (Hulten, Spencer & Domingos, KDD 2001): ten features uniform on [0, 1],
 * label 1 when Σ wᵢxᵢ ≥ ½ Σ wᵢ; the weights of the first five features change by 0.001 per row
 * (direction reversed with probability 10 % per row and feature, as in the published generator),
 * 5 % label noise. Abrupt rotations at each quarter make the drift visible within a short stream.
 */
function hyperplane(n: number, seed: number): Stream {
  const r = seededRandom(seed);
  const d = 10;
  const w = Array.from({ length: d }, () => r());
  const dir = Array.from({ length: d }, () => 1);
  const cuts = quarters(n);
  const rows: Stream['rows'] = [];
  for (let i = 0; i < n; i++) {
    if (cuts.includes(i)) for (let j = 0; j < 5; j++) w[j] = 1 - w[j]! + (r() - 0.5) * 0.2;
    const x = Array.from({ length: d }, () => r());
    const s = x.reduce((a, v, j) => a + v * w[j]!, 0);
    let y = s >= w.reduce((a, b) => a + b, 0) / 2 ? 1 : 0;
    if (r() < 0.05) y = 1 - y;
    rows.push({ x, y });
    for (let j = 0; j < 5; j++) {
      w[j] = w[j]! + dir[j]! * 0.001;
      if (r() < 0.1) dir[j] = -dir[j]!;
    }
  }
  return { name: 'hyperplane', features: Array.from({ length: d }, (_, j) => `x${j + 1}`), rows, changes: cuts.map((row) => ({ row, what: 'rotation of 5 weights' })) };
}

/**
 * Agrawal (Agrawal, Imielinski & Swami, IEEE TKDE 1993): nine applicant attributes and the
 * published classification functions. The stream moves through functions 7 → 8 → 9 → 10 (the
 * disposable-income rules) at each quarter, with 5 % label noise.
 */
function agrawal(n: number, seed: number): Stream {
  const r = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const rules = [
    (a: Record<string, number>) => (2 / 3) * (a.salary! + a.commission!) - a.loan! / 5 - 20_000 > 0,
    (a: Record<string, number>) => (2 / 3) * (a.salary! + a.commission!) - 5000 * a.elevel! - 20_000 > 0,
    (a: Record<string, number>) => (2 / 3) * (a.salary! + a.commission!) - 5000 * a.elevel! - a.loan! / 5 - 10_000 > 0,
    (a: Record<string, number>) => {
      const equity = a.hyears! < 20 ? 0 : 0.1 * a.hvalue! * (a.hyears! - 20);
      return (2 / 3) * (a.salary! + a.commission!) - 5000 * a.elevel! + equity / 5 - 10_000 > 0;
    },
  ];
  const features = ['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan'];
  const cuts = quarters(n);
  const rows: Stream['rows'] = [];
  for (let i = 0; i < n; i++) {
    const salary = 20_000 + r() * 130_000;
    const zipcode = int(0, 8);
    const a: Record<string, number> = {
      salary,
      commission: salary >= 75_000 ? 0 : 10_000 + r() * 65_000,
      age: int(20, 80),
      elevel: int(0, 4),
      car: int(1, 20),
      zipcode,
      hvalue: (9 - zipcode) * 100_000 * (0.5 + r()),
      hyears: int(1, 30),
      loan: r() * 500_000,
    };
    const concept = cuts.filter((c) => i >= c).length;
    // Group A (label 0) when the rule holds, as the paper names the groups.
    let y = rules[concept]!(a) ? 0 : 1;
    if (r() < 0.05) y = 1 - y;
    rows.push({ x: features.map((f) => a[f]!), y });
  }
  return { name: 'agrawal', features, rows, changes: cuts.map((row, k) => ({ row, what: `function ${7 + k} → ${8 + k}` })) };
}

/**
 * The bundled breast cancer data (assets/datasets/breast-cancer.csv), replayed as a stream by
 * resampling rows with a little jitter, with an induced shift from the middle on: a recalibrated
 * instrument reads the five "worst_*" size features 40 % high (covariate shift that also moves the
 * decision boundary in raw units).
 */
function dataset(n: number, seed: number, csvPath: string): Stream {
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const features = header.slice(0, -1);
  const data = lines.slice(1).map((l) => l.split(',').map(Number));
  const sd = features.map((_, j) => {
    const col = data.map((row) => row[j]!);
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    return Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length);
  });
  const shifted = new Set(['worst_radius', 'worst_perimeter', 'worst_area', 'worst_texture', 'worst_concave_points'].map((f) => features.indexOf(f)));
  const r = seededRandom(seed);
  const at = Math.floor(n / 2);
  const rows: Stream['rows'] = [];
  for (let i = 0; i < n; i++) {
    const src = data[Math.floor(r() * data.length)]!;
    const x = features.map((_, j) => {
      const v = src[j]! + gaussian(r) * sd[j]! * 0.05;
      return i >= at && shifted.has(j) ? v * 1.4 : v;
    });
    rows.push({ x, y: src[src.length - 1]! });
  }
  return { name: 'dataset', features, rows, changes: [{ row: at, what: 'worst_* size features read 40 % high' }] };
}

/** Builds a stream by name; the same name, size and seed give the same rows. */
export function makeStream(name: string, rows: number, seed: number, datasetPath: string): Stream {
  switch (name) {
    case 'sea':
      return sea(rows, seed);
    case 'hyperplane':
      return hyperplane(rows, seed);
    case 'agrawal':
      return agrawal(rows, seed);
    case 'dataset':
      return dataset(rows, seed, datasetPath);
    default:
      throw new AppError('invalid_argument', `--stream ${name}: expected one of ${STREAMS.join(', ')}`);
  }
}
