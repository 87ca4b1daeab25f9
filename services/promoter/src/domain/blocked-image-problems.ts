/** The problems of blocked images, each naming the block concerned (as the `block` extension member too). */
import { AppError } from '../errors.js';
import { describeBlock, type BlockedImage } from './blocked-image.js';

export const blockedImageProblems = {
  /** With `stage`: a pipeline run refused because the block matches that stage's target (named as `stage` too). */
  imageBlocked: (block: BlockedImage, stage?: { readonly name: string; readonly target: { readonly cluster?: string; readonly namespace: string; readonly deployment: string } }) =>
    new AppError({
      code: 'image-blocked',
      status: 409,
      title: 'Image blocked',
      detail: stage
        ? `${describeBlock(block)}, and stage '${stage.name}' promotes into ${stage.target.cluster ? `${stage.target.cluster}:` : ''}${stage.target.namespace}/${stage.target.deployment}; lift the block (DELETE /v1/blocked-images/${block.id}) to run it.`
        : `${describeBlock(block)}; lift the block (DELETE /v1/blocked-images/${block.id}) to promote it.`,
      extensions: stage ? { block, stage: stage.name } : { block },
    }),
  imageAlreadyBlocked: (block: BlockedImage) =>
    new AppError({
      code: 'image-already-blocked',
      status: 409,
      title: 'Image already blocked',
      detail: `${describeBlock(block)}; that block stands, nothing was added.`,
      extensions: { block },
    }),
  notFound: (id: string) => new AppError({ code: 'blocked-image-not-found', status: 404, title: 'Blocked image not found', detail: `No block has id ${id}.` }),
  alreadyLifted: (block: BlockedImage) =>
    new AppError({
      code: 'block-already-lifted',
      status: 409,
      title: 'Block already lifted',
      detail: `Block ${block.id} (${block.image}) was lifted by ${block.liftedBy ?? '?'} at ${block.liftedAt ?? '?'}: ${block.liftReason ?? ''}`,
      extensions: { block },
    }),
} as const;
