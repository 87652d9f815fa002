import type { Kysely } from 'kysely';
import type { Alert } from '../contracts/alerts.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import type { AlertsTable, DB, Writes } from '../storage/index.js';

export type AlertRule = Alert['rule'];
export const ALERT_RULES: AlertRule[] = ['drift', 'prediction_drift', 'data_quality', 'accuracy', 'rmse', 'fairness', 'detector', 'estimated_quality', 'multivariate_drift', 'value'];

const toAlert = (r: AlertsTable): Alert => ({
  id: r.id,
  deployment: r.deployment,
  rule: r.rule as AlertRule,
  message: r.message,
  report: r.report ?? null,
  status: r.status as Alert['status'],
  firstWindowEnd: r.first_window_end,
  lastWindowEnd: r.last_window_end,
  windows: Number(r.windows),
  ackedBy: r.acked_by,
  resolvedAt: r.resolved_at,
  createdAt: r.created_at,
});

/**
 * Alerts folded across windows: a rule breached in consecutive windows stays one alert (counted,
 * with the latest evidence); the first clean window resolves it. Acknowledging keeps it unresolved
 * but marks that someone is on it.
 */
export class AlertService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
  ) {}

  /**
   * Records one window's breaches of the rules it checked (`rules`: an open alert of a rule checked
   * and not breached resolves) inside the window's write (`trx`, its time `now`); returns the
   * alerts this window newly opened.
   */
  async observe(
    trx: Kysely<DB>,
    now: string,
    deployment: string,
    windowEnd: string,
    breaches: { rule: AlertRule; message: string; report?: string }[],
    rules: readonly AlertRule[] = ALERT_RULES,
  ): Promise<Alert[]> {
    const opened: Alert[] = [];
    for (const rule of rules) {
      const breach = breaches.find((b) => b.rule === rule);
      const current = await trx
        .selectFrom('alerts')
        .selectAll()
        .where('deployment', '=', deployment)
        .where('rule', '=', rule)
        .where('status', 'in', ['open', 'acked'])
        .executeTakeFirst();
      if (breach && current) {
        await trx
          .updateTable('alerts')
          // The same window judged again (late labels) is not another window of the breach.
          .set({ message: breach.message, report: breach.report ?? null, last_window_end: windowEnd, windows: Number(current.windows) + (current.last_window_end === windowEnd ? 0 : 1) })
          .where('id', '=', current.id)
          .execute();
      } else if (breach) {
        const row: AlertsTable = {
          id: newId(),
          deployment,
          rule,
          message: breach.message,
          report: breach.report ?? null,
          status: 'open',
          first_window_end: windowEnd,
          last_window_end: windowEnd,
          windows: 1,
          acked_by: null,
          resolved_at: null,
          created_at: now,
        };
        await trx.insertInto('alerts').values(row).execute();
        opened.push(toAlert(row));
      } else if (current) {
        await trx.updateTable('alerts').set({ status: 'resolved', resolved_at: now }).where('id', '=', current.id).execute();
      }
    }
    return opened;
  }

  async list(status?: string, deployment?: string): Promise<Alert[]> {
    let sel = this.db.selectFrom('alerts').selectAll();
    if (status) sel = sel.where('status', '=', status);
    if (deployment) sel = sel.where('deployment', '=', deployment);
    return (await sel.orderBy('created_at', 'desc').limit(500).execute()).map(toAlert);
  }

  /** Marks an alert as being looked at (a deployer's right on the deployment's model). */
  async ack(id: string, by: Actor): Promise<Alert> {
    const found = await this.db
      .selectFrom('alerts as a')
      .leftJoin('deployments as d', 'd.name', 'a.deployment')
      .leftJoin('models as m', 'm.id', 'd.model_id')
      .select('m.name as model')
      .where('a.id', '=', id)
      .executeTakeFirst();
    if (!found) throw new AppError('not_found', `alert ${id} not found`, { alert: id });
    return this.writes.run({
      by,
      // An alert of a deleted deployment belongs to no model: only a global role reaches it.
      permission: { role: 'deployer', model: found.model ?? null },
      apply: async ({ db }) => {
        const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        if (row.status === 'resolved') throw new AppError('conflict', `alert ${id} is already resolved`);
        await db.updateTable('alerts').set({ status: 'acked', acked_by: by.actor }).where('id', '=', id).execute();
        return toAlert({ ...row, status: 'acked', acked_by: by.actor });
      },
    });
  }
}
