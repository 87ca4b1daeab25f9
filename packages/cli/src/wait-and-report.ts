/** `--wait`: follow a promotion to its end with live progress, then report the final record. */
import { PromoterTimeoutError, type PromotionDetail, type PromotionEvent } from '@promoter/sdk';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeForState } from './exit-codes.js';
import { promotionSummary, stateStyle } from './format.js';
import { PromotionProgress } from './progress.js';
import { releasePending, waitForRelease } from './release-wait.js';

export async function waitAndReport(context: CommandContext, id: string, options: { timeoutMs?: number | undefined }): Promise<number> {
  const { output, client } = context;
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const progress = new PromotionProgress(output, client, id, { live: output.isTTY && !output.json, columns: context.columns });
  progress.start();
  let lastEvent = 0;
  const onEvent = (event: PromotionEvent) => {
    lastEvent = Math.max(lastEvent, event.id);
    return progress.onEvent(event);
  };
  let final: PromotionDetail;
  try {
    final = await client.waitForPromotion(id, {
      signal: context.signal,
      timeoutMs: options.timeoutMs,
      onEvent,
      onFallback: (reason) => output.note(output.style.dim(`(live events unavailable: ${reason}; polling instead)`)),
    });
  } catch (error) {
    await progress.finish();
    // Reported here, where the promotion is known, and only here: it is not a failure of the command line.
    if (!(error instanceof PromoterTimeoutError)) throw error;
    return stoppedWaiting(context, id, { timeoutMs: error.timeoutMs, where: `promotion ${id} is still ${error.lastState ?? 'running'}`, detail: error.message, lastState: error.lastState ?? null });
  }
  let releaseSettled = true;
  if (releasePending(final)) {
    try {
      const waited = await waitForRelease(client, final, { signal: context.signal, deadline, after: lastEvent, onEvent });
      final = waited.detail;
      releaseSettled = waited.settled;
    } catch (error) {
      await progress.finish();
      throw error;
    }
  }
  await progress.finish(final);
  if (!releaseSettled) {
    const repository = final.release?.repository ?? '?';
    const where = `promotion ${id} succeeded; its release in ${repository} is still pending`;
    return stoppedWaiting(context, id, { timeoutMs: options.timeoutMs ?? 0, where, detail: where, lastState: final.state, record: final });
  }
  const releaseFailed = final.state === 'succeeded' && final.release?.state === 'failed';
  if (output.json) {
    output.document(final);
  } else {
    output.line('');
    for (const line of promotionSummary(output.style, { ...final, events: [] })) output.line(line);
    output.line('');
    output.line(`${final.state === 'succeeded' ? output.style.green('✓') : output.style.red('✗')} promotion ${id} ${stateStyle(output.style, final.state)}${final.stateReason ? `: ${final.stateReason}` : ''}`);
    if (final.release?.state === 'done') output.line(`${output.style.green('✓')} released ${final.release.tag ?? ''} in ${final.release.repository}`);
    if (releaseFailed) output.line(`${output.style.red('✗')} release in ${final.release?.repository ?? '?'} failed: ${final.release?.reason ?? ''} (retry: promoter finalize ${id})`);
  }
  // The promotion stands, but the release the policy asked for is missing: a script must not go on as if tagged.
  return releaseFailed ? EXIT.failed : exitCodeForState(final.state);
}

/** `--timeout` elapsed: says where things stand; the promotion goes on. */
function stoppedWaiting(
  context: CommandContext,
  id: string,
  stop: { timeoutMs: number; where: string; detail: string; lastState: string | null; record?: PromotionDetail },
): number {
  const { output } = context;
  const { timeoutMs, where, detail, lastState, record } = stop;
  if (record && !output.json) {
    output.line('');
    for (const line of promotionSummary(output.style, { ...record, events: [] })) output.line(line);
  }
  output.error(`promoter: stopped waiting after ${Math.round(timeoutMs / 1000)}s; ${where} (see: promoter status ${id})`);
  if (output.json) output.document({ error: { code: 'timeout', detail, promotionId: id, lastState } });
  return EXIT.failed;
}
