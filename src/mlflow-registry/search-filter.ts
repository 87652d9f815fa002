import { AppError } from '../shared/app-error.js';

/**
 * MLflow's registry search grammar: comparisons joined by AND, e.g.
 * `name LIKE '%fraud%' AND tags.team = 'risk'`. Identifiers: `name`, `tags.KEY` (backquoted or
 * double-quoted when the key has spaces or dots) and, for versions, `run_id`, `version_number`
 * and `source_path`. Operators: `=`, `!=`, `LIKE`, `ILIKE` on strings, `IN (…)` on `run_id`, and
 * `=`, `!=`, `<`, `<=`, `>`, `>=` on `version_number`.
 */
export type Comparison =
  | { kind: 'string'; field: string; tag?: string; op: '=' | '!=' | 'LIKE' | 'ILIKE'; value: string }
  | { kind: 'in'; field: string; values: string[] }
  | { kind: 'number'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: number };

/** What a comparison is evaluated against: field values and tags of one entity. */
export interface Searchable {
  fields: Record<string, string | number>;
  tags: Record<string, string>;
}

const bad = (message: string) => new AppError('invalid_argument', message, { field: 'filter' });

type Token = { t: 'word' | 'string' | 'op' | 'punct'; v: string; at: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= src.length) throw bad(`filter: unterminated ${c === '`' ? 'backquoted name' : 'string'} at position ${i}`);
        if (src[j] === c) {
          // A doubled quote stands for itself inside a string.
          if (src[j + 1] === c) {
            v += c;
            j += 2;
            continue;
          }
          break;
        }
        v += src[j++];
      }
      out.push({ t: c === '`' ? 'word' : 'string', v, at: i });
      i = j + 1;
      continue;
    }
    const op = /^(!=|<=|>=|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[1]!, at: i });
      i += op[1]!.length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c, at: i });
      i++;
      continue;
    }
    const word = /^[A-Za-z0-9_.\-+:/%]+/.exec(src.slice(i));
    if (!word) throw bad(`filter: unexpected character ${JSON.stringify(c)} at position ${i}`);
    out.push({ t: 'word', v: word[0], at: i });
    i += word[0].length;
  }
  return out;
}

/**
 * Parses a filter for an entity kind; `fields` lists the identifiers it allows besides `tags.KEY`.
 * An empty or absent filter matches everything.
 */
export function parseFilter(filter: string | undefined, fields: readonly string[]): Comparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const out: Comparison[] = [];
  let i = 0;
  const next = (what: string): Token => {
    const t = tokens[i++];
    if (!t) throw bad(`filter: expected ${what} at the end of ${JSON.stringify(filter)}`);
    return t;
  };
  for (;;) {
    const ident = next('a name such as name or tags.KEY');
    if (ident.t !== 'word') throw bad(`filter: expected a name at position ${ident.at}, got ${JSON.stringify(ident.v)}`);
    let field = ident.v;
    let tag: string | undefined;
    const lower = field.toLowerCase();
    if (lower === 'tags' || lower === 'tag') {
      // tags.`key with spaces`: the backquoted key is its own token after "tags."
      throw bad('filter: write tag comparisons as tags.KEY');
    }
    const tagMatch = /^tags?\.(.*)$/i.exec(field);
    if (tagMatch) {
      tag = tagMatch[1]!;
      if (tag === '') {
        const quoted = tokens[i];
        if (!quoted || (quoted.t !== 'word' && quoted.t !== 'string')) throw bad(`filter: tags. at position ${ident.at} names no key`);
        tag = quoted.v;
        i++;
      }
      field = 'tags';
    } else {
      field = lower;
      if (!fields.includes(field)) throw bad(`filter: unknown name ${JSON.stringify(ident.v)}; use ${[...fields, 'tags.KEY'].join(', ')}`);
    }
    const opTok = next('an operator');
    const op = opTok.v.toUpperCase();
    if (op === 'IN' || op === 'NOT') {
      if (field !== 'run_id' || op === 'NOT') throw bad(`filter: ${opTok.v} applies to run_id only`);
      if (next('(').v !== '(') throw bad('filter: IN takes a parenthesised list of strings');
      const values: string[] = [];
      for (;;) {
        const v = next('a string');
        if (v.t !== 'string') throw bad(`filter: IN lists quoted strings, got ${JSON.stringify(v.v)}`);
        values.push(v.v);
        const sep = next(') or ,');
        if (sep.v === ')') break;
        if (sep.v !== ',') throw bad(`filter: expected , or ) in the IN list at position ${sep.at}`);
      }
      out.push({ kind: 'in', field, values });
    } else if (field === 'version_number') {
      if (opTok.t !== 'op') throw bad(`filter: version_number takes =, !=, <, <=, > or >=, got ${opTok.v}`);
      const v = next('a number');
      const n = Number(v.v);
      if (!/^\d+$/.test(v.v) || !Number.isSafeInteger(n)) throw bad(`filter: version_number compares with a whole number, got ${JSON.stringify(v.v)}`);
      out.push({ kind: 'number', field, op: opTok.v as '=', value: n });
    } else {
      if (!['=', '!=', 'LIKE', 'ILIKE'].includes(op)) throw bad(`filter: ${field === 'tags' ? `tags.${tag}` : field} takes =, !=, LIKE or ILIKE, got ${opTok.v}`);
      const v = next('a quoted string');
      if (v.t !== 'string') throw bad(`filter: values are quoted strings ('value'), got ${JSON.stringify(v.v)} at position ${v.at}`);
      out.push({ kind: 'string', field, ...(tag !== undefined ? { tag } : {}), op: op as 'LIKE', value: v.v });
    }
    const and = tokens[i++];
    if (!and) return out;
    if (and.t !== 'word' || and.v.toUpperCase() !== 'AND') {
      throw bad(`filter: comparisons are joined by AND${and.v.toUpperCase() === 'OR' ? ' (OR is not supported)' : ''}; got ${JSON.stringify(and.v)} at position ${and.at}`);
    }
  }
}

/**
 * SQL LIKE: `%` any run, `_` one character, everything else literal. Matched by the greedy
 * wildcard walk (backtracking only to the last `%`), so a pattern of many `%` costs at most
 * pattern × text steps, where a regular expression could take exponential time.
 */
export function likeMatch(pattern: string, text: string, caseless: boolean): boolean {
  const p = [...(caseless ? pattern.toLowerCase() : pattern)];
  const t = [...(caseless ? text.toLowerCase() : text)];
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < t.length) {
    if (i < p.length && (p[i] === '_' || (p[i] !== '%' && p[i] === t[j]))) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '%') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === '%') i++;
  return i === p.length;
}

/** Whether an entity satisfies every comparison. A tag the entity lacks matches no comparison. */
export function matches(entity: Searchable, filter: readonly Comparison[]): boolean {
  return filter.every((c) => {
    if (c.kind === 'in') return c.values.includes(String(entity.fields[c.field] ?? ''));
    if (c.kind === 'number') {
      const v = Number(entity.fields[c.field]);
      switch (c.op) {
        case '=': return v === c.value;
        case '!=': return v !== c.value;
        case '<': return v < c.value;
        case '<=': return v <= c.value;
        case '>': return v > c.value;
        default: return v >= c.value;
      }
    }
    const actual = c.field === 'tags' ? entity.tags[c.tag!] : entity.fields[c.field] === undefined ? undefined : String(entity.fields[c.field]);
    if (actual === undefined) return false;
    if (c.op === '=') return actual === c.value;
    if (c.op === '!=') return actual !== c.value;
    return likeMatch(c.value, actual, c.op === 'ILIKE');
  });
}

/** One `order_by` term: a field and its direction. */
export interface OrderTerm {
  field: string;
  desc: boolean;
}

/**
 * Parses MLflow `order_by` terms (`name`, `last_updated_timestamp DESC`, …); `synonyms` maps
 * other spellings MLflow takes (`timestamp`) to a field.
 */
export function parseOrderBy(terms: readonly string[], fields: readonly string[], synonyms: Record<string, string> = {}): OrderTerm[] {
  return terms.map((term) => {
    const m = /^\s*`?([A-Za-z_]+)`?\s*(ASC|DESC)?\s*$/i.exec(term);
    const raw = m?.[1]?.toLowerCase();
    const field = raw === undefined ? undefined : (synonyms[raw] ?? raw);
    if (!m || !field || !fields.includes(field)) {
      throw new AppError('invalid_argument', `order_by ${JSON.stringify(term)}: order by ${fields.join(', ')}, each optionally ASC or DESC`, { field: 'order_by' });
    }
    return { field, desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
}

/** Compares two entities by the order terms, then by the tiebreak terms. */
export function compareBy(terms: readonly OrderTerm[]): (a: Searchable, b: Searchable) => number {
  return (a, b) => {
    for (const t of terms) {
      const x = a.fields[t.field]!;
      const y = b.fields[t.field]!;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      if (c !== 0) return t.desc ? -c : c;
    }
    return 0;
  };
}
