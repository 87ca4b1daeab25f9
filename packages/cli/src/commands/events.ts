/**
 * `promoter events ID`: the timeline; with --follow, live until nothing more can happen to the promotion
 * (the rule is the SDK's `until: 'closed'`; the help text says it in words).
 */
import { defineCommand, expectPositionals } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { eventLine } from '../format.js';

export const eventsCommand = defineCommand({ follow: { type: 'boolean', short: 'f' } }, async (context, { values, positionals }) => {
  const [id = ''] = expectPositionals('events', positionals, ['ID']);
  const { client, output } = context;
  if (!values.follow) {
    const events = await client.promotions.events(id, { signal: context.signal });
    if (output.json) output.document({ items: events });
    else for (const event of events) output.line(eventLine(output.style, event));
    return EXIT.ok;
  }
  // --follow --json prints one JSON document per line (NDJSON): a stream has no single document to wait for.
  for await (const event of client.promotions.follow(id, { signal: context.signal, until: 'closed' })) {
    output.line(output.json ? JSON.stringify(event) : eventLine(output.style, event));
  }
  return EXIT.ok;
});
