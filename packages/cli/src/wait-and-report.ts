/** `--wait`: follow a promotion to its end with live progress, then report the final record. */
import { PromoterTimeoutError } from '@promoter/sdk';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeForState } from './exit-codes.js';
import { promotionSummary, stateStyle } from './format.js';
import { PromotionProgress } from './progress.js';

export async function waitAndReport(context: CommandContext, id: string, options: { timeoutMs?: number | undefined }): Promise<number> {
  const { output, client } = context;
  const progress = new PromotionProgress(output, client, id, { live: output.isTTY && !output.json, columns: context.columns });
  progress.start();
  let final;
  try {
    final = await client.waitForPromotion(id, {
      signal: context.signal,
      timeoutMs: options.timeoutMs,
      onEvent: (event) => progress.onEvent(event),
      onFallback: (reason) => output.note(output.style.dim(`(live events unavailable: ${reason}; polling instead)`)),
    });
  } catch (error) {
    await progress.finish();
    // Reported here, where the promotion is known, and only here: it is not a failure of the command line.
    if (!(error instanceof PromoterTimeoutError)) throw error;
    output.error(`promoter: stopped waiting after ${Math.round(error.timeoutMs / 1000)}s; promotion ${id} is still ${error.lastState ?? 'running'} (see: promoter status ${id})`);
    if (output.json) output.document({ error: { code: error.code, detail: error.message, promotionId: id, lastState: error.lastState ?? null } });
    return EXIT.failed;
  }
  await progress.finish(final);
  if (output.json) {
    output.document(final);
  } else {
    output.line('');
    for (const line of promotionSummary(output.style, { ...final, events: [] })) output.line(line);
    output.line('');
    output.line(`${final.state === 'succeeded' ? output.style.green('✓') : output.style.red('✗')} promotion ${id} ${stateStyle(output.style, final.state)}${final.stateReason ? `: ${final.stateReason}` : ''}`);
  }
  return exitCodeForState(final.state);
}
