import { describe, expect, it } from 'vitest';
import type { StoredFairnessReport } from '../contracts/fairness.js';
import { assembleCard } from './card-service.js';

const version = {
  model: 'loan',
  version: 2,
  format: 'sextant-linear' as const,
  digest: 'a'.repeat(64),
  size: 10,
  signature: { inputs: [{ name: 'income', type: 'double' as const }, { name: 'ethnicity', type: 'string' as const, pii: true }], outputs: [] },
  params: {},
  metrics: { accuracy: 0.9 },
  tags: {},
  lineage: { parentVersion: 1 },
  description: '',
  status: 'active' as const,
  author: 'alice',
  createdAt: '2026-12-01T10:00:00.000Z',
  aliases: [],
};
const model = { name: 'loan', description: 'loans', owner: 'risk', task: 'binary-classification' as const, tags: {}, latestVersion: 2, aliases: {}, createdAt: '', updatedAt: '' };
const group = (selectionRate: number) => ({ count: 10, selectionRate, tpr: 0.5, fpr: 0.1, accuracy: 0.8 });
const report: StoredFairnessReport = {
  id: 'r1',
  model: 'loan',
  version: 2,
  createdAt: '2026-12-02T00:00:00.000Z',
  actor: 'alice',
  label: 'y',
  sensitive: 'ethnicity',
  decision: 'version 2',
  cutoff: 0.5,
  rows: 20,
  excludedRows: 0,
  privileged: 'Rareland',
  groups: { Rareland: group(0.6), Otherland: group(0.3) },
  demographicParityDifference: 0.3,
  demographicParityRatio: 0.5,
  equalizedOddsDifference: 0,
  disparateImpact: { Rareland: 1, Otherland: 0.5 },
  fourFifthsRule: { Rareland: true, Otherland: false },
};
const input = (fairness: StoredFairnessReport | { error: string } | null) => ({
  model,
  version,
  fields: {},
  validation: { error: 'none' },
  history: [],
  live: [],
  drift: [],
  fairness,
  importance: { error: 'no reference data' },
  approvals: [],
  reference: null,
  now: '2026-12-03T00:00:00.000Z',
});

describe('assembleCard', () => {
  it('names personal-data features but shows the groups of a personal-data attribute as group 1, group 2, …', () => {
    const card = assembleCard(input(report));
    const text = JSON.stringify(card);
    expect(text).not.toMatch(/Rareland|Otherland/);
    expect((card.model_parameters.sextant as { personalData: string[] }).personalData).toEqual(['ethnicity']);
    const f = (card.quantitative_analysis.sextant as { fairness: StoredFairnessReport }).fairness;
    expect(Object.keys(f.groups)).toEqual(['group 1', 'group 2']);
    expect(f.privileged).toBe('group 1');
    expect(f.disparateImpact['group 2']).toBe(0.5);
    expect(card.quantitative_analysis.performance_metrics).toContainEqual({ type: 'selection rate', value: 0.3, slice: 'ethnicity=group 2' });
  });

  it('keeps the values of other attributes, and a failing source shows its reason in place', () => {
    const card = assembleCard(input({ ...report, sensitive: 'income' }));
    expect(JSON.stringify(card)).toContain('Rareland');
    expect((card.quantitative_analysis.sextant as { importance: unknown }).importance).toEqual({ error: 'no reference data' });
    expect(card.model_details.version).toEqual({ name: '2', date: '2026-12-01', diff: 'retrained from version 1' });
  });
});
