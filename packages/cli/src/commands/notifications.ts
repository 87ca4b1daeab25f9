/** `promoter notifications ID`: what was sent for a promotion, to which sinks, and how it went. */
import { defineCommand, expectPositionals } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { deliveryLine } from '../format.js';

export const notificationsCommand = defineCommand({}, async (context, { positionals }) => {
  const [id = ''] = expectPositionals('notifications', positionals, ['ID']);
  const { client, output } = context;
  const deliveries = await client.promotions.notifications(id, { signal: context.signal });
  if (output.json) output.document({ items: deliveries });
  else if (deliveries.length === 0) output.line('no notifications (none configured for this promotion, or no notified state reached yet)');
  else for (const delivery of deliveries) output.line(deliveryLine(output.style, delivery));
  return EXIT.ok;
});
