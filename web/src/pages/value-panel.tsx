import { useQuery } from '@tanstack/react-query';
import { Empty, Loaded } from '../components/notes.js';
import { num, time } from '../format.js';
import { useClient } from '../session.js';

const WINDOWS = 12;

/**
 * Business value per monitor window (models with a KPI, `sextant kpi set`): measured from labels,
 * estimated before them with its 95 % band, the compute cost and the net value, per 1,000 predictions.
 */
export function ValuePanel({ deployment }: { deployment: string }) {
  const client = useClient();
  const results = useQuery({
    queryKey: ['value-windows', deployment],
    refetchInterval: 15_000,
    queryFn: async () => (await client.monitors.results(deployment)).slice(0, WINDOWS),
  });
  return (
    <section className="card" aria-labelledby="value-title">
      <div className="card-head">
        <h2 id="value-title">Business value per 1,000 predictions</h2>
      </div>
      <Loaded query={results} what="business value">
        {(rs) => {
          const valued = rs.filter((r) => r.value);
          if (valued.length === 0) return <Empty>No business value yet: set the model&apos;s KPI with sextant kpi set, then wait for a monitor window.</Empty>;
          return (
            <>
              <div className="table-wrap short" tabIndex={0}>
                <table>
                  <caption className="sr-only">Business value per window</caption>
                  <thead>
                    <tr>
                      <th scope="col">Window ending</th>
                      <th scope="col" className="num">Measured</th>
                      <th scope="col" className="num">Labelled rows</th>
                      <th scope="col" className="num">Estimated</th>
                      <th scope="col" className="num">95 % band</th>
                      <th scope="col" className="num">Compute cost</th>
                      <th scope="col" className="num">Net</th>
                    </tr>
                  </thead>
                  <tbody>
                    {valued.map((r) => {
                      const v = r.value!;
                      const e = v.estimated;
                      return (
                        <tr key={r.windowEnd}>
                          <td>{time(r.windowEnd)}</td>
                          <td className="num">{num(v.measured?.per1000, 4)}</td>
                          <td className="num">{v.measured?.rows ?? 0}</td>
                          <td className="num" title={v.estimatedError ?? e?.method}>{num(e?.per1000, 4)}</td>
                          <td className="num">{e ? `${num(e.low, 4)} – ${num(e.high, 4)}` : '—'}</td>
                          <td className="num" title={`${num(v.compute.cpuSecondsPer1000, 3)} CPU s per 1,000`}>{num(v.compute.costPer1000, 3)}</td>
                          <td className="num">{num(v.netPer1000, 4)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <p className="muted small">
                Estimates come before labels: CBPE for binary classifiers (the band assumes calibrated scores), DLE for regression when the window has it. Compute cost is the serving CPU time measured per deployment at the KPI&apos;s price per CPU-hour.
              </p>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
