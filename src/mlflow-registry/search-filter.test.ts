import { describe, expect, it } from 'vitest';
import { likeMatch, matches, parseFilter } from './search-filter.js';

describe('MLflow search filters', () => {
  it('LIKE as SQL: % any run, _ one character, the rest literal; ILIKE ignores case', () => {
    const cases: [string, string, boolean][] = [
      ['%fraud%', 'card-fraud-eu', true],
      ['fraud%', 'card-fraud', false],
      ['f_aud', 'fraud', true],
      ['f_aud', 'fraaud', false],
      ['%', '', true],
      ['a.b', 'axb', false],
      ['%a%b%c', 'xxaxxbxxc', true],
      ['%a%b%c', 'xxaxxcxxb', false],
      ['100%', '100%', true],
    ];
    for (const [pattern, text, want] of cases) expect(likeMatch(pattern, text, false), `${pattern} ~ ${text}`).toBe(want);
    expect(likeMatch('FRAUD%', 'fraud-eu', true)).toBe(true);
    expect(likeMatch('FRAUD%', 'fraud-eu', false)).toBe(false);
  });

  it('stays linear on patterns that make regular expressions backtrack', () => {
    const pattern = `${'%a'.repeat(2000)}%b`;
    const text = 'a'.repeat(1024);
    expect(likeMatch(pattern, text, false)).toBe(false);
  });

  it('parses comparisons joined by AND and checks each', () => {
    const filter = parseFilter("name LIKE 'f%' AND tags.`team name` = 'risk' and version_number <= 3", ['name', 'version_number']);
    expect(filter).toEqual([
      { kind: 'string', field: 'name', op: 'LIKE', value: 'f%' },
      { kind: 'string', field: 'tags', tag: 'team name', op: '=', value: 'risk' },
      { kind: 'number', field: 'version_number', op: '<=', value: 3 },
    ]);
    expect(matches({ fields: { name: 'fraud', version_number: 2 }, tags: { 'team name': 'risk' } }, filter)).toBe(true);
    expect(matches({ fields: { name: 'fraud', version_number: 4 }, tags: { 'team name': 'risk' } }, filter)).toBe(false);
    expect(matches({ fields: { name: 'fraud', version_number: 2 }, tags: {} }, filter)).toBe(false);
    expect(parseFilter("name = 'it''s'", ['name'])).toEqual([{ kind: 'string', field: 'name', op: '=', value: "it's" }]);
  });
});
