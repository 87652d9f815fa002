#!/usr/bin/env node
// Reads JSON lines of one benchmark (several runs) and prints the median of every numeric leaf.
import fs from 'node:fs';

const runs = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function merge(values) {
  const first = values[0];
  if (typeof first === 'number') return Number(median(values).toFixed(3));
  if (first && typeof first === 'object') {
    return Object.fromEntries(Object.keys(first).map((k) => [k, merge(values.map((v) => v[k]))]));
  }
  return first;
}
console.log(JSON.stringify({ runs: runs.length, ...merge(runs) }, null, 2));
