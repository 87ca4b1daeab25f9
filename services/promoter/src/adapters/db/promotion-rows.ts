/**
 * `promotions` rows <-> the domain's `Promotion`. The one place the engine's types meet the table's
 * strings: a value the domain does not know (a state, verdict or action written by something else) is a
 * corrupt row and stops here instead of being cast and carried on.
 */
import { isPromotionAction, isPromotionState } from '../../domain/promotion-state-machine.js';
import type { Promotion, PromotionProgress } from '../../domain/promotion.js';
import type { Verdict } from '../../domain/judge/index.js';
import { KUBERNETES_DELIVERY } from '../../domain/delivery.js';
import type { PromotionRow } from './views.js';

const VERDICTS: readonly string[] = ['pass', 'fail', 'inconclusive', 'error'] satisfies Verdict[];

export class CorruptPromotionRow extends Error {
  constructor(id: string, column: string, value: unknown) {
    super(`promotion ${id}: column ${column} holds ${JSON.stringify(value)}, which this version does not know`);
    this.name = 'CorruptPromotionRow';
  }
}

export function promotionFromRow(row: PromotionRow): Promotion {
  if (!isPromotionState(row.state)) throw new CorruptPromotionRow(row.id, 'state', row.state);
  if (row.verdict !== null && !VERDICTS.includes(row.verdict)) throw new CorruptPromotionRow(row.id, 'verdict', row.verdict);
  if (row.requested_action !== null && !isPromotionAction(row.requested_action)) {
    throw new CorruptPromotionRow(row.id, 'requested_action', row.requested_action);
  }
  return {
    id: row.id,
    target: { cluster: row.cluster, namespace: row.namespace, deployment: row.deployment, container: row.container },
    source:
      row.source_deployment === null
        ? null
        : {
            deployment: row.source_deployment,
            ...(row.source_container === null ? {} : { container: row.source_container }),
            ...(row.tag_suffix_to_strip === null ? {} : { tagSuffixToStrip: row.tag_suffix_to_strip }),
          },
    image: row.image,
    resolvedImage: row.resolved_image,
    previousImage: row.previous_image,
    policy: { name: row.policy_name, version: row.policy_version, snapshot: row.policy_snapshot },
    dryRun: row.dry_run,
    reason: row.reason,
    state: row.state,
    stateReason: row.state_reason,
    verdict: row.verdict as Verdict | null, // checked against VERDICTS above
    actor: row.actor,
    requestedAction: row.requested_action,
    delivery: row.delivery ?? KUBERNETES_DELIVERY,
    release: row.release,
    // Only the engine writes `progress`, always from a PromotionProgress: its shape is ours.
    progress: row.progress as PromotionProgress,
    hold: row.hold ?? null,
    freezeOverride: row.freeze_override ?? null,
    pipeline: row.pipeline ?? null,
    createdAt: new Date(row.created_at),
  };
}
