import { useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { ModelVersion, VersionStatus } from '../../../src/sdk/browser.js';
import { ErrorNote } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { ago, num } from '../format.js';
import { useClient } from '../session.js';

const PAGE = 200;
const ROW = 36;

type Sort = { key: 'version' } | { key: 'metric'; metric: string; desc: boolean };

const STATUS_TONE: Record<VersionStatus, 'good' | 'warn' | 'neutral'> = { active: 'good', deprecated: 'warn', archived: 'neutral' };

/**
 * A model's versions: pages of 200 fetched as the list scrolls, only the visible rows rendered, so
 * a model with 10,000 versions stays quick. Status and order are applied by the server; the text
 * filter and metric sort work on the pages loaded so far (and say so).
 */
export function VersionsTable({ model, total, selected, onSelect }: { model: string; total: number; selected: number | null; onSelect(v: number): void }) {
  const client = useClient();
  const [status, setStatus] = useState<VersionStatus | ''>('');
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const [text, setText] = useState('');
  const [sort, setSort] = useState<Sort>({ key: 'version' });
  const pages = useInfiniteQuery({
    queryKey: ['versions', model, status, order],
    queryFn: ({ pageParam }) => client.versions.list(model, { pageSize: PAGE, order, status: status || undefined, pageToken: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextPageToken ?? undefined,
  });
  const loaded = useMemo(() => pages.data?.pages.flatMap((p) => p.versions) ?? [], [pages.data]);
  const metrics = useMemo(() => [...new Set(loaded.slice(0, 50).flatMap((v) => Object.keys(v.metrics)))].slice(0, 3), [loaded]);
  const rows = useMemo(() => {
    const t = text.trim().toLowerCase();
    const hit = (v: ModelVersion) =>
      !t || String(v.version) === t || v.description.toLowerCase().includes(t) || v.aliases.some((a) => a.includes(t)) || Object.entries(v.tags).some(([k, val]) => `${k}=${val}`.toLowerCase().includes(t)) || v.author.toLowerCase().includes(t);
    const out = loaded.filter(hit);
    if (sort.key === 'metric') {
      const val = (v: ModelVersion) => v.metrics[sort.metric] ?? Number.NEGATIVE_INFINITY;
      out.sort((a, b) => (sort.desc ? val(b) - val(a) : val(a) - val(b)));
    }
    return out;
  }, [loaded, text, sort]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });
  const items = virtual.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    // Near the end of what is loaded: fetch the next page.
    if (last && last.index >= rows.length - 20 && pages.hasNextPage && !pages.isFetchingNextPage) void pages.fetchNextPage();
  }, [last, rows.length, pages]);

  const cols = `5rem 6.5rem minmax(7rem, 1fr) 7rem ${metrics.map(() => '6.5rem').join(' ')} 7rem minmax(8rem, 1.2fr)`;
  const sortBy = (metric: string) => setSort((s) => (s.key === 'metric' && s.metric === metric ? { ...s, desc: !s.desc } : { key: 'metric', metric, desc: true }));
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    // Arrow keys move between rows' buttons; the list scrolls to keep the focused row in view.
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const i = Number((document.activeElement as HTMLElement | null)?.dataset.index ?? -1);
    const next = Math.max(0, Math.min(rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    virtual.scrollToIndex(next);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLButtonElement>(`button[data-index="${next}"]`)?.focus());
  };
  const partial = pages.hasNextPage && (text.trim() !== '' || sort.key === 'metric');

  return (
    <div>
      <div className="filters">
        <div className="field">
          <label htmlFor="v-status">Status</label>
          <select id="v-status" value={status} onChange={(e) => setStatus(e.target.value as VersionStatus | '')}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="deprecated">deprecated</option>
            <option value="archived">archived</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="v-order">Order</label>
          <select id="v-order" value={order} onChange={(e) => setOrder(e.target.value as 'asc' | 'desc')}>
            <option value="desc">newest first</option>
            <option value="asc">oldest first</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="v-filter">Filter (version, alias, tag, author)</label>
          <input id="v-filter" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <p className="muted small" aria-live="polite" style={{ margin: 0 }}>
          {rows.length.toLocaleString()} shown · {loaded.length.toLocaleString()} of {total.toLocaleString()} loaded
          {partial ? ' (filter and sort apply to the loaded pages; scroll to load more)' : ''}
        </p>
      </div>
      {pages.error && <ErrorNote error={pages.error} what="versions" />}
      <div className="vtable" role="table" aria-label={`Versions of ${model}`} aria-rowcount={rows.length + 1} style={{ ['--cols' as string]: cols }}>
        <div className="vhead" role="row" aria-rowindex={1}>
          <div role="columnheader" aria-sort={sort.key === 'version' ? (order === 'desc' ? 'descending' : 'ascending') : 'none'}>
            Version
          </div>
          <div role="columnheader">Status</div>
          <div role="columnheader">Aliases</div>
          <div role="columnheader">Format</div>
          {metrics.map((m) => (
            <div role="columnheader" key={m} aria-sort={sort.key === 'metric' && sort.metric === m ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
              <button type="button" className="link" onClick={() => sortBy(m)} title={`Sort by ${m}`}>
                {m}
              </button>
            </div>
          ))}
          <div role="columnheader">Created</div>
          <div role="columnheader">Tags</div>
        </div>
        <div className="vbody" ref={scroller} role="rowgroup" onKeyDown={onKey} style={{ height: Math.min(26 * 16, Math.max(3, rows.length) * ROW + 2) }}>
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {items.map((item) => {
              const v = rows[item.index]!;
              return (
                <div key={v.version} role="row" aria-rowindex={item.index + 2} className={`vrow${v.version === selected ? ' selected' : ''}`} style={{ top: item.start, height: ROW }}>
                  <div role="cell">
                    <button type="button" className="link" data-index={item.index} aria-pressed={v.version === selected} onClick={() => onSelect(v.version)}>
                      v{v.version}
                    </button>
                  </div>
                  <div role="cell">
                    <Pill tone={STATUS_TONE[v.status]}>{v.status}</Pill>
                  </div>
                  <div role="cell">{v.aliases.join(', ')}</div>
                  <div role="cell">{v.format}</div>
                  {metrics.map((m) => (
                    <div role="cell" key={m} className="mono">
                      {num(v.metrics[m] ?? null, 4)}
                    </div>
                  ))}
                  <div role="cell" title={v.createdAt}>
                    {ago(v.createdAt)}
                  </div>
                  <div role="cell" title={Object.entries(v.tags).map(([k, val]) => `${k}=${val}`).join(', ')}>
                    {Object.entries(v.tags)
                      .map(([k, val]) => `${k}=${val}`)
                      .join(', ')}
                  </div>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {pages.isPending && <p className="muted">Loading versions…</p>}
    </div>
  );
}
