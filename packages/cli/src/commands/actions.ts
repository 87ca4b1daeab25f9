/** `promoter abort|rollback|approve|finalize ID`: the manual controls of a promotion. */
import { defineCommand, expectPositionals, type Command } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { stateStyle } from '../format.js';

type Action = 'abort' | 'rollback' | 'approve' | 'finalize';

const REQUESTED: Record<Action, string> = { abort: 'abort requested', rollback: 'rollback requested', approve: 'approved', finalize: 'release finalization requested' };
const DONE_STATE: Partial<Record<Action, string>> = { abort: 'aborted', rollback: 'rolled_back' };

export function actionCommand(action: Action): Command {
  return defineCommand({ reason: { type: 'string' } }, async (context, { values, positionals }) => {
  const [id = ''] = expectPositionals(action, positionals, ['ID']);
  const options = { signal: context.signal, ...(values.reason !== undefined ? { reason: values.reason } : {}) };
  const { client, output } = context;
  let promotion;
  if (action === 'approve') {
    // The service keeps every approval's reason: ask for it here rather than send a request it will refuse.
    if (values.reason === undefined || values.reason.trim() === '') throw new UsageError('approve needs --reason TEXT: why you approve, kept in the audit trail', action);
    promotion = await client.promotions.approve(id, { ...options, reason: values.reason });
  } else {
    promotion = await client.promotions[action](id, options);
  }
  if (output.json) output.document(promotion);
  else if (DONE_STATE[action] === promotion.state) output.line(`Promotion ${promotion.id} ${stateStyle(output.style, promotion.state)}${promotion.stateReason ? `: ${promotion.stateReason}` : ''}`);
  else output.line(`Promotion ${promotion.id}: ${REQUESTED[action]}; state ${stateStyle(output.style, promotion.state)} (follow: promoter events ${promotion.id} --follow)`);
  return EXIT.ok;
  });
}
