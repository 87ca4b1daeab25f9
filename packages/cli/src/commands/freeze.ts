/** `promoter freeze put|list|get|delete|override`: deployment freezes. */
import type { Freeze, FreezeRequest } from '@promoter/sdk';
import { defineCommand, expectPositionals } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { freezeRows } from '../format.js';

const FREEZE_SUBCOMMANDS = ['put', 'list', 'get', 'delete', 'override'] as const;

const FREEZE_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  weekly: { type: 'string' },
  'time-zone': { type: 'string' },
  namespace: { type: 'string', short: 'n', multiple: true },
  cluster: { type: 'string', multiple: true },
  pipeline: { type: 'string', multiple: true },
  reason: { type: 'string' },
} as const;

type FreezeFlags = { from?: string; to?: string; weekly?: string; 'time-zone'?: string; namespace?: string[]; cluster?: string[]; pipeline?: string[]; reason?: string };

export const freezeCommand = defineCommand(FREEZE_OPTIONS, async (context, { values, positionals }) => {
  const [subcommand, ...rest] = positionals;
  const { client, output } = context;
  const signal = context.signal;
  const windowFlags = ['from', 'to', 'weekly', 'time-zone', 'namespace', 'cluster', 'pipeline'] as const;
  const stray = windowFlags.find((flag) => values[flag] !== undefined);
  if (stray && subcommand !== 'put') throw new UsageError(`--${stray} goes with freeze put`, 'freeze');
  if (values.reason !== undefined && subcommand !== 'put' && subcommand !== 'override') throw new UsageError('--reason goes with freeze put and freeze override', 'freeze');

  switch (subcommand) {
    case 'put': {
      const [name = ''] = expectPositionals('freeze', rest, ['NAME']);
      const stored = await client.freezes.put(name, freezeRequest(values), { signal });
      if (output.json) output.document(stored);
      else output.line(`Freeze ${stored.name} is at version ${stored.version}; ${holdText(stored)}.`);
      return EXIT.ok;
    }
    case 'list': {
      expectPositionals('freeze', rest, []);
      const freezes = await client.freezes.list({ signal });
      if (output.json) output.document({ items: freezes });
      else if (freezes.length === 0) output.line('No freezes.');
      else for (const line of freezeRows(output.style, freezes)) output.line(line);
      return EXIT.ok;
    }
    case 'get': {
      const [name = ''] = expectPositionals('freeze', rest, ['NAME']);
      const freeze = await client.freezes.get(name, { signal });
      if (output.json) output.document(freeze);
      else for (const line of freezeRows(output.style, [freeze])) output.line(line);
      return EXIT.ok;
    }
    case 'delete': {
      const [name = ''] = expectPositionals('freeze', rest, ['NAME']);
      await client.freezes.delete(name, { signal });
      if (output.json) output.document({ deleted: name });
      else output.line(`Freeze ${name} ended (its versions stay in the history).`);
      return EXIT.ok;
    }
    case 'override': {
      const [id = ''] = expectPositionals('freeze', rest, ['PROMOTION_ID']);
      if (values.reason === undefined) throw new UsageError('missing required flag --reason (who asked, and why)', 'freeze');
      const promotion = await client.freezes.override(id, values.reason, { signal });
      if (output.json) output.document(promotion);
      else output.line(`Promotion ${promotion.id} proceeds through freezes from now on (${promotion.state}).`);
      return EXIT.ok;
    }
    case undefined:
      throw new UsageError(`missing subcommand: one of ${FREEZE_SUBCOMMANDS.join(', ')}`, 'freeze');
    default:
      throw new UsageError(`unknown subcommand '${subcommand}': one of ${FREEZE_SUBCOMMANDS.join(', ')}`, 'freeze');
  }
});

/** The request from the flags: a fixed window (--from/--to instants) or a weekly one (--weekly DAYS). */
function freezeRequest(values: FreezeFlags): FreezeRequest {
  if (values.reason === undefined) throw new UsageError('missing required flag --reason', 'freeze');
  if (values.from === undefined || values.to === undefined) throw new UsageError('missing required flags --from and --to', 'freeze');
  const list = (given: string[] | undefined) => (given === undefined ? undefined : given.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== ''));
  const namespaces = list(values.namespace);
  const clusters = list(values.cluster);
  const pipelines = list(values.pipeline);
  const scope = { ...(namespaces ? { namespaces } : {}), ...(clusters ? { clusters } : {}), ...(pipelines ? { pipelines } : {}) };
  if (values.weekly === undefined) {
    if (values['time-zone'] !== undefined) throw new UsageError('--time-zone goes with --weekly', 'freeze');
    return { window: { start: values.from, end: values.to }, scope, reason: values.reason };
  }
  if (values['time-zone'] === undefined) throw new UsageError('--weekly needs --time-zone (e.g. Europe/Berlin)', 'freeze');
  // The service checks the day names, times and zone, and names the field at fault.
  const days = (list([values.weekly]) ?? []) as ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  return { window: { weekly: { days, from: values.from, to: values.to, timeZone: values['time-zone'] } }, scope, reason: values.reason };
}

/** `holds now, until 2026-12-07T07:00:00.000Z` or `does not hold now`. */
export function holdText(freeze: Pick<Freeze, 'active' | 'until'>): string {
  return freeze.active ? `holds now, until ${freeze.until ?? '(no end)'}` : 'does not hold now';
}
