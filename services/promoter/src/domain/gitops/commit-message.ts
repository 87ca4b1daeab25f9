/**
 * The words the service writes into Git: commit subjects after the runbook ("chore: promote zai-proxy to
 * v1.2.1", "chore: release zai-proxy v1.2.1") and the trailers by which it recognises its own commits when a
 * step is resumed. Pure, no I/O.
 */
import { parseImageReference } from '../image-reference.js';

export type PromotionAction = 'promote' | 'rollback' | 'release';
export type RollbackMethod = 'revert' | 'restore';

export const TRAILER_ID = 'Promotion-Id';
export const TRAILER_ACTION = 'Promotion-Action';
export const TRAILER_ROLLBACK_METHOD = 'Promotion-Rollback-Method';

/**
 * Promotion ids go into commit trailers and `git log --grep`: a newline or a regex character in one could
 * forge another trailer or match another promotion's commits, so only a conservative alphabet is accepted.
 */
export function isSafePromotionId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id);
}

/** `registry/team/zai-proxy:1.2.1` -> `zai-proxy`. */
export function applicationName(image: string): string {
  const parsed = parseImageReference(image);
  const name = 'error' in parsed ? image : parsed.name;
  return name.slice(name.lastIndexOf('/') + 1);
}

/** `1.2.1` -> `v1.2.1` (the runbook's spelling); `v1.2.1`, `latest`, or a short digest as they are. */
export function versionLabel(image: string): string {
  const parsed = parseImageReference(image);
  if ('error' in parsed) return image;
  if (parsed.tag !== undefined) return /^\d/.test(parsed.tag) ? `v${parsed.tag}` : parsed.tag;
  if (parsed.digest !== undefined) return parsed.digest.slice(0, parsed.digest.indexOf(':') + 13);
  return 'latest';
}

export function promoteSubject(newImage: string): string {
  return `chore: promote ${applicationName(newImage)} to ${versionLabel(newImage)}`;
}

export function rollbackSubject(previousImage: string): string {
  return `chore: roll back ${applicationName(previousImage)} to ${versionLabel(previousImage)}`;
}

export function releaseSubject(name: string, version: string): string {
  return `chore: release ${name} v${version}`;
}

/** The runbook's tag message, with the promotion id so the tag says where it came from. */
export function defaultTagMessage(promotionId: string): string {
  return `Validated via canary testing, promoted from canary to production\n\nPromotion-Id: ${promotionId}\n`;
}

/** A whole commit message: subject, optional body, and the trailers as the last paragraph. */
export function commitMessage(init: {
  readonly subject: string;
  readonly body?: string;
  readonly promotionId: string;
  readonly action: PromotionAction;
  readonly rollbackMethod?: RollbackMethod;
}): string {
  const trailers = [`${TRAILER_ID}: ${init.promotionId}`, `${TRAILER_ACTION}: ${init.action}`];
  if (init.rollbackMethod) trailers.push(`${TRAILER_ROLLBACK_METHOD}: ${init.rollbackMethod}`);
  // A caller's subject must stay one line: a newline would start a body (or fake a trailer).
  const subject = init.subject.replace(/\s*\n\s*/g, ' ').trim();
  const body = init.body?.trim();
  return `${subject}\n\n${body ? `${body}\n\n` : ''}${trailers.join('\n')}\n`;
}
