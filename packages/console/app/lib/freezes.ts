/** Which deployment freezes a page should warn of: those holding now whose scope covers what it shows. */
import type { Freeze } from '@promoter/sdk';

/**
 * The freezes holding now that can hold promotions in `namespace` (any namespace when not given), the one
 * ending last first. A freeze naming only pipelines holds stages of those pipelines, not promotions.
 */
export function freezesInScope(freezes: readonly Freeze[], namespace?: string): Freeze[] {
  return freezes
    .filter((freeze) => freeze.active && freeze.scope.pipelines === undefined)
    .filter((freeze) => namespace === undefined || freeze.scope.namespaces === undefined || freeze.scope.namespaces.includes(namespace))
    .sort((a, b) => (b.until ?? '').localeCompare(a.until ?? ''));
}
