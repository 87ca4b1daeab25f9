/** Measurements as `check_results` rows: the one mapping, used for promotions and evaluations alike. */
import type { Insertable } from 'kysely';
import type { NumberedMeasurement } from '../../domain/judge/index.js';
import type { CheckResultsTable } from './schema.js';

/** A measurement as a check_results row (without its owner ids). */
export type MeasurementRow = Required<Omit<Insertable<CheckResultsTable>, 'id' | 'promotion_id' | 'evaluation_id'>> & { measured_at: Date };

export function measurementRow({ measurement: m, sample }: NumberedMeasurement): MeasurementRow {
  return {
    check_name: m.check,
    phase: m.phase,
    sample,
    result: m.result,
    value: m.value,
    baseline_value: m.baselineValue,
    bound: m.bound,
    query: m.query,
    baseline_query: m.baselineQuery,
    warnings: JSON.stringify(m.warnings),
    message: m.message,
    data: m.data ? JSON.stringify(m.data) : null,
    measured_at: m.measuredAt,
  };
}
