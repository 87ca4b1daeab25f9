/**
 * The engine's question to the freezes: does one hold this promotion now? Read afresh at every ask, so a
 * freeze changed or ended meanwhile is honoured at the promotion's next step.
 */
import { holdOn, type Freeze, type Hold } from '../domain/freeze/freeze.js';
import { freezeSubject } from '../domain/freeze/freeze-subject.js';
import type { Promotion } from '../domain/promotion.js';

export interface FreezeCheck {
  /** The hold on the promotion at `at`, or undefined (always for a dry run, or after an admin's override). */
  holdOn(promotion: Promotion, at: Date): Promise<Hold | undefined>;
}

export class FreezeGuard implements FreezeCheck {
  readonly #freezes: () => Promise<readonly Freeze[]>;

  /** `freezes` lists the freezes in force (FreezeRepository.list). */
  constructor(freezes: () => Promise<readonly Freeze[]>) {
    this.#freezes = freezes;
  }

  async holdOn(promotion: Promotion, at: Date): Promise<Hold | undefined> {
    // A dry run changes nothing, so nothing needs holding; an override is an admin's decision to go ahead.
    if (promotion.dryRun || promotion.freezeOverride !== null) return undefined;
    return holdOn(await this.#freezes(), freezeSubject(promotion), at.getTime());
  }
}
