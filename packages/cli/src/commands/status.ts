/** `promoter status ID`: the whole record of a promotion. */
import { defineCommand, expectPositionals } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { promotionSummary } from '../format.js';

export const statusCommand = defineCommand({}, async (context, { positionals }) => {
  const [id = ''] = expectPositionals('status', positionals, ['ID']);
  const detail = await context.client.promotions.get(id, { signal: context.signal });
  if (context.output.json) context.output.document(detail);
  else for (const line of promotionSummary(context.output.style, detail)) context.output.line(line);
  return EXIT.ok;
});
