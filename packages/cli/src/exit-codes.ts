/**
 * Exit codes, so scripts can branch without parsing output:
 * 0 success (the promotion succeeded, the dry-run gate passed, or a command that does not wait worked),
 * 1 the promotion ended rejected / rolled_back / failed / aborted, it succeeded but the release its policy
 *   asks for failed, the service refused the request, or a wait timed out,
 * 2 usage error (unknown command or flag, missing or invalid flag),
 * 3 the service is unreachable, or the token was refused (401/403),
 * 130 interrupted (Ctrl-C), 141 stdout closed by its reader.
 */
import { isPromoterError, isPromoterNetworkError, type PromotionState } from '@promoter/sdk';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  /** 128 + SIGINT, as shells report a Ctrl-C. */
  interrupted: 130,
  /** 128 + SIGPIPE: whoever read the output closed it (`promoter status ID | head`). */
  closedPipe: 141,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a finished promotion. */
export function exitCodeForState(state: PromotionState): ExitCode {
  return state === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** The exit code of an error that ended a command. */
export function exitCodeForError(error: unknown): ExitCode {
  if (isPromoterNetworkError(error)) return EXIT.unreachable;
  if (isPromoterError(error) && (error.status === 401 || error.status === 403)) return EXIT.unreachable;
  return EXIT.failed;
}

/** A mistake in the command line: reported with a hint to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose --help to suggest. */
    readonly command?: string,
  ) {
    super(message);
  }
}
