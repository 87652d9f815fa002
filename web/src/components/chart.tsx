import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cssVar, useTheme } from '../theme.js';

export interface Line {
  label: string;
  values: (number | null)[];
  /** A CSS custom property naming the colour, e.g. --chart-1. */
  color: string;
  dash?: number[];
  /** The edge of a band: no line of its own. */
  band?: boolean;
  /** Points only (sparse measurements such as per-window quality). */
  points?: boolean;
}

interface Props {
  /** What the chart shows, for people who cannot see it. */
  title: string;
  /** Seconds since the epoch. */
  x: number[];
  lines: Line[];
  /** Pairs of indices into `lines` to fill between (upper, lower). */
  bands?: [number, number][];
  unit?: string;
  height?: number;
  yRange?: [number, number];
  format?: (v: number) => string;
}

/** A summary of the newest and peak values, which the chart's label reads out. */
function summary(p: Props): string {
  const parts = p.lines
    .filter((l) => !l.band)
    .map((l) => {
      const vals = l.values.filter((v): v is number => v !== null && Number.isFinite(v));
      if (vals.length === 0) return `${l.label}: no data`;
      const f = p.format ?? ((v: number) => String(Number(v.toPrecision(3))));
      return `${l.label}: latest ${f(vals[vals.length - 1]!)}, peak ${f(Math.max(...vals))}`;
    });
  return `${p.title}. ${parts.join('; ')}.`;
}

/**
 * A time-series chart on uPlot (canvas, fast at tens of thousands of points). New data updates the
 * plot in place; a new theme or a different set of lines draws it again.
 */
export function TimeChart(props: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { theme } = useTheme();
  const shape = `${theme}|${props.lines.map((l) => l.label).join('|')}|${props.height ?? 180}`;
  const data = [props.x, ...props.lines.map((l) => l.values)] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--fg-muted');
    const grid = cssVar('--grid');
    const format = props.format;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: props.height ?? 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: props.yRange ? { range: props.yRange } : { auto: true, range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 50,
          values: (_u, splits) => splits.map((v) => String(Number(v.toPrecision(3)))),
          label: props.unit,
          labelSize: props.unit ? 18 : 0,
        },
      ],
      series: [
        {},
        ...props.lines.map((l) => {
          const color = cssVar(l.color);
          return {
            label: l.label,
            stroke: color,
            width: l.band ? 0 : 2,
            dash: l.dash,
            points: { show: l.points ?? false, size: 6, fill: color },
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : format ? format(v) : String(Number(v.toPrecision(4)))),
          } as uPlot.Series;
        }),
      ],
      bands: props.bands?.map(([upper, lower]) => ({ series: [upper + 1, lower + 1], fill: `${cssVar(props.lines[upper]!.color)}33` })),
    };
    const u = new uPlot(opts, data, el);
    // Band edges are drawn as the band's fill; their own legend entries would only repeat it.
    const entries = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
    props.lines.forEach((l, i) => {
      if (l.band && entries[i + 1]) entries[i + 1]!.style.display = 'none';
    });
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(240, el.clientWidth), height: opts.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Drawn again only when its shape changes; data alone goes through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={summary(props)} />
    </figure>
  );
}
