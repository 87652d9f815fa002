import type { KeyboardEvent } from 'react';
import type { MonitorResult } from '../../../src/sdk/browser.js';
import { num, time } from '../format.js';

/** One feature's test in a window, as monitors store it. */
export interface FeatureTest {
  feature: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
}

export interface Cell {
  window: MonitorResult;
  test: FeatureTest;
}

/**
 * How far past its threshold a test is, as one number: ≥ 1 means drift. P-value tests drift when
 * p falls below the threshold (threshold ÷ p); distance tests when the statistic rises above it
 * (statistic ÷ threshold).
 */
export function severity(t: FeatureTest): number | null {
  if (t.pValue !== null) return t.threshold / Math.max(t.pValue, 1e-12);
  if (t.statistic === null) return null;
  return t.statistic / t.threshold;
}

/** Green below the threshold, amber at it, red well past it, on a log scale. */
function colour(s: number | null): string {
  if (s === null) return 'var(--surface-2)';
  const x = Math.max(-1, Math.min(1, Math.log10(s) / 2)); // 1/100 … 100 times the threshold
  const hue = x < 0 ? 130 - (x + 1) * 85 : 45 - x * 45;
  return `hsl(${hue.toFixed(0)} 75% ${x < 0 ? 62 : 58}%)`;
}

const short = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Features × windows, colour = the test's statistic relative to its threshold; a cell opens its distributions. */
export function DriftHeatmap({ windows, selected, onSelect }: { windows: MonitorResult[]; selected: Cell | null; onSelect(c: Cell): void }) {
  const tests = (w: MonitorResult) => (w.drift?.features ?? []) as FeatureTest[];
  const features = [...new Set(windows.flatMap((w) => tests(w).map((t) => t.feature)))];
  const move = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    const at = (e.target as HTMLElement).dataset;
    if (!step || at.r === undefined) return;
    e.preventDefault();
    const target = e.currentTarget.querySelector<HTMLButtonElement>(`button[data-r="${Number(at.r) + step[0]!}"][data-c="${Number(at.c) + step[1]!}"]`);
    target?.focus();
  };
  return (
    <div>
      <div className="heatmap" role="table" aria-label="Drift per feature (rows) and window (columns); arrow keys move between cells" onKeyDown={move} style={{ gridTemplateColumns: `minmax(7rem, 12rem) repeat(${windows.length}, minmax(1.6rem, 3.5rem))` }}>
        <div role="row" style={{ display: 'contents' }}>
          <div role="columnheader" className="hlabel muted">
            feature
          </div>
          {windows.map((w) => (
            <div role="columnheader" key={w.windowEnd} className="hcol" title={`window ${time(w.windowStart)} – ${time(w.windowEnd)}`}>
              {short.format(new Date(w.windowEnd))}
            </div>
          ))}
        </div>
        {features.map((f, r) => (
          <div role="row" key={f} style={{ display: 'contents' }}>
            <div role="rowheader" className="hlabel" title={f}>
              {f}
            </div>
            {windows.map((w, c) => {
              const t = tests(w).find((x) => x.feature === f);
              if (!t) return <div role="cell" key={w.windowEnd} aria-label={`${f}: not tested in this window`} />;
              const s = severity(t);
              const isSelected = selected?.window.windowEnd === w.windowEnd && selected.test.feature === f;
              return (
                <div role="cell" key={w.windowEnd}>
                  <button
                    type="button"
                    className="cell"
                    data-r={r}
                    data-c={c}
                    style={{ background: colour(s), width: '100%' }}
                    aria-pressed={isSelected}
                    aria-label={`${f}, window ending ${time(w.windowEnd)}: ${t.test} ${t.pValue !== null ? `p = ${num(t.pValue)}` : `statistic ${num(t.statistic)}`} (threshold ${t.threshold})${t.drifted ? ', drifted' : ''}`}
                    title={`${t.test}: ${t.pValue !== null ? `p ${num(t.pValue)}` : `${num(t.statistic)}`} vs ${t.threshold}${t.drifted ? ' — drift' : ''}`}
                    onClick={() => onSelect({ window: w, test: t })}
                  >
                    {t.drifted ? '●' : ''}
                  </button>
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <div className="scale" aria-hidden="true">
        <span>well within</span>
        <span className="bar" />
        <span>threshold · far past it</span>
        <span>● drifted</span>
      </div>
    </div>
  );
}
