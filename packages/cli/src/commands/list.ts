/** `promoter list`: promotions, newest first; one page, or every page with --all. */
import { isPromotionState, PROMOTION_STATES, type Promotion, type PromotionState } from '@promoter/sdk';
import { defineCommand, expectPositionals, positiveInteger } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { promotionRows } from '../format.js';

const LIST_OPTIONS = {
  cluster: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  deployment: { type: 'string', short: 'd' },
  state: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
} as const;

export const listCommand = defineCommand(LIST_OPTIONS, async (context, { values, positionals }) => {
  expectPositionals('list', positionals, []);
  let state: PromotionState | undefined;
  if (values.state !== undefined) {
    if (!isPromotionState(values.state)) throw new UsageError(`--state must be one of ${PROMOTION_STATES.join(', ')}`, 'list');
    state = values.state;
  }
  if (values.all && values.cursor !== undefined) throw new UsageError('--all reads every page; it does not take --cursor', 'list');
  const limit = positiveInteger('list', 'limit', values.limit);
  const query = {
    ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    ...(values.deployment !== undefined ? { deployment: values.deployment } : {}),
    ...(state !== undefined ? { state } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  const { client, output } = context;
  let items: Promotion[];
  let nextCursor: string | null = null;
  if (values.all) {
    items = [];
    for await (const promotion of client.promotions.listAll(query, { signal: context.signal })) items.push(promotion);
  } else {
    const page = await client.promotions.list({ ...query, ...(values.cursor !== undefined ? { cursor: values.cursor } : {}) }, { signal: context.signal });
    items = page.items;
    nextCursor = page.nextCursor;
  }
  if (output.json) {
    output.document(values.all ? { items } : { items, nextCursor });
    return EXIT.ok;
  }
  if (items.length === 0) output.line('No promotions.');
  else for (const line of promotionRows(output.style, items)) output.line(line);
  if (nextCursor) output.line(output.style.dim(`More: promoter list --cursor ${nextCursor} (or --all)`));
  return EXIT.ok;
});
