/** Stored evaluations (the read-only "run the checks now / over a window" results) and their measurements. */
import type { Kysely } from 'kysely';
import { errors } from '../../errors.js';
import type { Database } from './schema.js';
import { iso } from './views.js';
import { measurementRow } from './check-result-rows.js';
import type { NumberedMeasurement } from '../../domain/judge/index.js';

export interface EvaluationView {
  id: string;
  target: { namespace: string; deployment: string; container: string };
  policy: { name: string | null; version: number | null };
  phase: string;
  time: string | null;
  window: { start: string; end: string } | null;
  verdict: string;
  reason: string;
  checks: unknown[];
  actor: string;
  createdAt: string;
}

export class EvaluationRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores the evaluation and its measurements in one transaction; `describeChecks` gets the stored
   * measurements' ids (in order) and returns the per-check summary kept with the evaluation.
   */
  async insert(
    evaluation: Omit<EvaluationView, 'createdAt' | 'checks'>,
    measurements: readonly NumberedMeasurement[],
    describeChecks: (ids: readonly number[]) => unknown[],
  ): Promise<EvaluationView> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('evaluations')
        .values({
          id: evaluation.id,
          namespace: evaluation.target.namespace,
          deployment: evaluation.target.deployment,
          container: evaluation.target.container,
          policy_name: evaluation.policy.name,
          policy_version: evaluation.policy.version,
          phase: evaluation.phase,
          at_time: evaluation.time,
          window_start: evaluation.window?.start ?? null,
          window_end: evaluation.window?.end ?? null,
          verdict: evaluation.verdict,
          reason: evaluation.reason,
          checks: '[]',
          actor: evaluation.actor,
        })
        .returning('created_at')
        .executeTakeFirstOrThrow();
      const ids =
        measurements.length === 0
          ? []
          : (
              await trx
                .insertInto('check_results')
                .values(measurements.map((m) => ({ ...measurementRow(m), evaluation_id: evaluation.id, promotion_id: null })))
                .returning('id')
                .execute()
            ).map((r) => r.id);
      const checks = describeChecks(ids);
      await trx.updateTable('evaluations').set({ checks: JSON.stringify(checks) }).where('id', '=', evaluation.id).execute();
      return { ...evaluation, checks, createdAt: iso(row.created_at) };
    });
  }

  async get(id: string): Promise<EvaluationView> {
    const row = await this.#db
      .selectFrom('evaluations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow(() => errors.evaluationNotFound(id));
    return {
      id: row.id,
      target: { namespace: row.namespace, deployment: row.deployment, container: row.container },
      policy: { name: row.policy_name, version: row.policy_version },
      phase: row.phase,
      time: row.at_time === null ? null : iso(row.at_time),
      window: row.window_start && row.window_end ? { start: iso(row.window_start), end: iso(row.window_end) } : null,
      verdict: row.verdict,
      reason: row.reason ?? '',
      checks: row.checks as unknown[],
      actor: row.actor,
      createdAt: iso(row.created_at),
    };
  }
}
