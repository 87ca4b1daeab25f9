/**
 * A pipeline run's image refused at the door (`POST /v1/pipelines/{name}/runs`), with the same lookup as
 * `POST /v1/promotions` and the engine (domain/blocked-image.ts `blockOf`), so a run is refused for exactly
 * the blocks a promotion of one of its stages would be.
 */
import { blockedImageProblems } from '../domain/blocked-image-problems.js';
import { blockOf, type BlockedImage, type BlockedImageLookup } from '../domain/blocked-image.js';
import type { PipelineStage } from '../domain/pipeline/model.js';

/**
 * A run whose image a block refuses for any stage's target: 409 `image-blocked` naming the block and the
 * first such stage (in the pipeline's order), before anything is stored. Checked once per namespace.
 */
export async function refuseBlockedRun(blocks: BlockedImageLookup, image: string, stages: readonly PipelineStage[]): Promise<void> {
  const looked = new Map<string, BlockedImage | undefined>();
  for (const stage of stages) {
    const { namespace } = stage.target;
    if (!looked.has(namespace)) looked.set(namespace, await blockOf(blocks, image, namespace));
    const block = looked.get(namespace);
    if (block) throw blockedImageProblems.imageBlocked(block, stage);
  }
}
