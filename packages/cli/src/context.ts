/** What every command gets: a client, where to write, and the signal that Ctrl-C aborts. */
import type { PromoterClient } from '@promoter/sdk';
import type { Output } from './output.js';

export interface CommandContext {
  readonly client: PromoterClient;
  readonly output: Output;
  /** Aborted on SIGINT: waits stop and the command exits 130. */
  readonly signal: AbortSignal;
  /** Relative file paths (`policy apply -f`) are resolved against this. */
  readonly cwd: string;
  /** Terminal width, for the live view. */
  readonly columns: number | undefined;
}
