/** `promoter block add|list|lift`: images that must not be promoted. */
import type { BlockedImage } from '@promoter/sdk';
import { defineCommand, expectPositionals, positiveInteger } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { blockRows } from '../format.js';

const BLOCK_SUBCOMMANDS = ['add', 'list', 'lift'] as const;
const STATES = ['active', 'lifted', 'all'] as const;

const BLOCK_OPTIONS = {
  reason: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  image: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
} as const;

export const blockCommand = defineCommand(BLOCK_OPTIONS, async (context, { values, positionals }) => {
  const [subcommand, ...rest] = positionals;
  const { client, output } = context;
  const signal = context.signal;
  const only = (flag: keyof typeof BLOCK_OPTIONS, ...subcommands: string[]) => {
    if (values[flag] !== undefined && !subcommands.includes(subcommand ?? '')) throw new UsageError(`--${flag} goes with block ${subcommands.join(' or ')}`, 'block');
  };
  only('reason', 'add', 'lift');
  only('namespace', 'add', 'list');
  only('image', 'list');
  only('state', 'list');
  only('limit', 'list');
  const reason = () => {
    if (values.reason === undefined || values.reason.trim() === '') throw new UsageError('missing required flag --reason (why, for the audit trail)', 'block');
    return values.reason;
  };

  switch (subcommand) {
    case 'add': {
      const [image = ''] = expectPositionals('block', rest, ['IMAGE']);
      const block = await client.blockedImages.add({ image, reason: reason(), ...(values.namespace !== undefined ? { namespace: values.namespace } : {}) }, { signal });
      if (output.json) output.document(block);
      else output.line(`Blocked ${block.normalizedImage} ${scope(block)}: block ${block.id}.`);
      return EXIT.ok;
    }
    case 'list': {
      expectPositionals('block', rest, []);
      const state = values.state;
      if (state !== undefined && !(STATES as readonly string[]).includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}`, 'block');
      const limit = positiveInteger('block', 'limit', values.limit);
      const blocks = await client.blockedImages.list(
        {
          ...(values.image !== undefined ? { image: values.image } : {}),
          ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
          ...(state !== undefined ? { state: state as (typeof STATES)[number] } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
        { signal },
      );
      if (output.json) output.document({ items: blocks });
      else if (blocks.length === 0) output.line(values.image !== undefined ? `${values.image} is not blocked.` : 'No blocked images.');
      else for (const line of blockRows(output.style, blocks)) output.line(line);
      return EXIT.ok;
    }
    case 'lift': {
      const [id = ''] = expectPositionals('block', rest, ['ID']);
      const block = await client.blockedImages.lift(id, reason(), { signal });
      if (output.json) output.document(block);
      else output.line(`Lifted block ${block.id}: ${block.normalizedImage} may be promoted ${scope(block)} again.`);
      return EXIT.ok;
    }
    case undefined:
      throw new UsageError(`missing subcommand: one of ${BLOCK_SUBCOMMANDS.join(', ')}`, 'block');
    default:
      throw new UsageError(`unknown subcommand '${subcommand}': one of ${BLOCK_SUBCOMMANDS.join(', ')}`, 'block');
  }
});

function scope(block: BlockedImage): string {
  return block.namespace === null ? 'in every namespace' : `in namespace ${block.namespace}`;
}
