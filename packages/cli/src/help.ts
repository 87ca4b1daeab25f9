/** The help texts: `promoter --help` and `promoter <command> --help`. */

const GLOBAL_FLAGS = `Global flags (any command):
  --url URL        the service (env PROMOTER_URL; default http://localhost:8080)
  --token TOKEN    bearer token (env PROMOTER_TOKEN)
  --json           machine-readable output: one JSON document on stdout
  --no-color       no colours (also NO_COLOR=1; colours are only used on a terminal anyway)
  -h, --help       this help`;

const EXIT_CODES = `Exit codes:
  0    success: the promotion succeeded, the dry-run gate passed, or the command did what it was asked
  1    the promotion ended rejected, rolled_back, failed or aborted; the service refused the request
       (404, 409, 422...); the evaluation's verdict was not pass; or --timeout elapsed
  2    usage error: unknown command or flag, missing or invalid flag
  3    the service is unreachable, or it refused the token (401/403)
  130  interrupted (Ctrl-C) while waiting; the promotion itself goes on
  141  the output was closed by its reader (e.g. | head): the CLI stops quietly, as SIGPIPE would`;

export const MAIN_HELP = `promoter: promote a canary Deployment's image to production, gated by Prometheus checks

Usage: promoter <command> [flags]

Commands:
  promote              start a promotion (--wait follows it to the end)
  status ID            the whole record of a promotion: state, images, checks, events
  list                 promotions, newest first
  events ID            the timeline of a promotion (--follow: live while more can happen)
  notifications ID     the notifications sent for a promotion: sink, event, status, attempts
  abort ID             stop an active promotion (rolled back first if already patched)
  rollback ID          roll a succeeded promotion back to the image it replaced
  approve ID           pass a manual approval gate
  finalize ID          retry the release (VERSION commit and tag) of a succeeded promotion
  policy SUBCOMMAND    apply -f FILE | list | get NAME | versions NAME | delete NAME
  evaluate             run a policy's checks now against a target (patches nothing)

${GLOBAL_FLAGS}
  --version        the CLI's version

${EXIT_CODES}

Run 'promoter <command> --help' for a command's flags.`;

const COMMAND_HELP: Record<string, string> = {
  promote: `Usage: promoter promote --namespace NS --deployment NAME --container NAME --policy POLICY
                        (--from CANARY [--strip-suffix SUFFIX] [--from-container NAME] | --image REF)
                        [--via git --repository NAME --file PATH [--argocd-application NAME [--argocd-namespace NS]]]
                        [--dry-run] [--reason TEXT] [--wait [--timeout DURATION]] [--idempotency-key KEY]

Starts a promotion of the canary's image (or of --image) to the production Deployment.

  -n, --namespace NS          namespace of both Deployments
  -d, --deployment NAME       the production Deployment
  -c, --container NAME        its container to update
  -p, --policy POLICY         the policy whose checks gate the promotion
      --from CANARY           take the image from this canary Deployment
      --strip-suffix SUFFIX   remove this from the canary's tag, e.g. -canary: 1.2.1-canary -> 1.2.1
      --from-container NAME   the canary's container, when its name differs
      --image REF             promote this image instead of a canary's
      --via git               commit the image to --file in the configured --repository for a GitOps
                              controller to sync, instead of patching the Deployment (default: kubernetes);
                              a repository that takes changes through pull requests waits in awaiting_merge
      --argocd-application NAME  with --via git: the Argo CD Application that deploys the file, asked to
                              refresh (and sync) the commit and followed until Synced and Healthy
      --argocd-namespace NS   its namespace (default argocd)
      --dry-run               run the pre-promotion gate only; patch nothing
      --reason TEXT           why, for the audit trail
  -w, --wait                  follow the promotion until it ends, and its release when the policy asks
                              for one: a live view on a terminal, plain lines otherwise; exit code 0
                              only when it succeeded (and the release was made)
      --timeout DURATION      with --wait: give up waiting after e.g. 30m (the promotion goes on)
      --idempotency-key KEY   repeat a run safely: the same key answers the promotion it started

Example:
  promoter promote -n mcp -d zai-proxy -c proxy --from zai-proxy-test --strip-suffix -canary \\
    --policy zai-proxy-default --reason "release 1.2.1" --wait`,
  status: `Usage: promoter status ID

The whole record of a promotion: state and why, images, policy version, the latest measurement of each
check against its bound, and the events. --json prints the record as the API returns it.`,
  list: `Usage: promoter list [--namespace NS] [--deployment NAME] [--state STATE] [--limit N] [--cursor C | --all]

Promotions, newest first, one page at a time (--limit, default 50; --cursor for the next page) or every
page with --all.`,
  events: `Usage: promoter events ID [--follow]

The timeline of a promotion. -f, --follow keeps printing events as they happen (with --json: one JSON
event per line) until nothing more can happen to the promotion: it stops once the promotion is rejected,
rolled_back, aborted or failed. A succeeded promotion is followed on, because a rollback (promoter
rollback) or the release (afterSuccess.release, promoter finalize) may still come; stop with Ctrl-C
(exit 130; the promotion is not affected).`,
  notifications: `Usage: promoter notifications ID

The notification deliveries of a promotion, oldest first: one line per event and sink with its status
(delivered, pending, dead), attempts, last HTTP status and error. --json prints the API's list.`,
  abort: `Usage: promoter abort ID [--reason TEXT]

Stops an active promotion. Before the patch it ends aborted at once; after, the engine rolls the
Deployment back first.`,
  rollback: `Usage: promoter rollback ID [--reason TEXT]

Rolls a succeeded promotion back to the image it replaced (the engine carries it out).`,
  approve: `Usage: promoter approve ID [--reason TEXT]

Passes the manual approval gate of a promotion in awaiting_approval.`,
  finalize: `Usage: promoter finalize ID [--reason TEXT]

Retries the release of a succeeded promotion whose policy has afterSuccess.release: the VERSION commit and
the annotated tag in the application's repository (the engine carries it out; an identical tag is a success).`,
  policy: `Usage: promoter policy apply -f FILE [--name NAME]
       promoter policy list
       promoter policy get NAME [--version N]
       promoter policy versions NAME
       promoter policy delete NAME

apply stores FILE (YAML or .json) as a new version when it differs from the latest. The name is --name,
else the document's name, else the file name without extension.`,
  evaluate: `Usage: promoter evaluate --policy POLICY --namespace NS --deployment NAME --container NAME
                         [--phase pre|rollout|post] [--from CANARY [--strip-suffix SUFFIX] | --image REF]

Runs the policy's checks for the phase (default pre) now and stores the evaluation; patches nothing.
Exit code 0 when the verdict is pass, 1 otherwise.`,
};

export function commandHelp(command: string): string {
  return `${COMMAND_HELP[command] ?? MAIN_HELP}\n\n${GLOBAL_FLAGS}\n\n${EXIT_CODES}`;
}
