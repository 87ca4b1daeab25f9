/** The help texts: `promoter --help` and `promoter <command> --help`. */

const GLOBAL_FLAGS = `Global flags (any command):
  --url URL        the service (env PROMOTER_URL; default http://localhost:8080)
  --token TOKEN    bearer token (env PROMOTER_TOKEN)
  --token-file F   a file holding the bearer token, read before every request, e.g. a CI job's OIDC
                   token or a pod's projected service-account token (env PROMOTER_TOKEN_FILE)
                   In GitHub Actions (id-token: write), PROMOTER_OIDC_AUDIENCE=<aud> makes the CLI
                   use the job's own OIDC token for that audience, renewed before it expires
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
  approve ID           give one approval at a manual gate (--reason TEXT required)
  finalize ID          retry the release (VERSION commit and tag) of a succeeded promotion
  policy SUBCOMMAND    apply -f FILE | list | get NAME | versions NAME | delete NAME
  freeze SUBCOMMAND    put NAME ... | list | get NAME | delete NAME | override ID --reason TEXT
  evaluate             run a policy's checks now against a target (patches nothing)
  block SUBCOMMAND     add IMAGE --reason TEXT [-n NS] | list [--image REF] | lift ID --reason TEXT
  pipeline SUBCOMMAND  apply -f FILE | list | run NAME --image REF [--wait] | status NAME [RUN] [--wait] | abort NAME RUN

${GLOBAL_FLAGS}
  --version        the CLI's version

${EXIT_CODES}

Run 'promoter <command> --help' for a command's flags.`;

const COMMAND_HELP: Record<string, string> = {
  promote: `Usage: promoter promote [--cluster NAME] --namespace NS --deployment NAME --container NAME --policy POLICY
                        (--from CANARY [--strip-suffix SUFFIX] [--from-container NAME] | --image REF)
                        [--via git --repository NAME --file PATH [--argocd-application NAME [--argocd-namespace NS]]]
                        [--dry-run] [--reason TEXT] [--wait [--timeout DURATION]] [--idempotency-key KEY]

Starts a promotion of the canary's image (or of --image) to the production Deployment.

      --cluster NAME          the cluster of the Deployments, as the service names it (default: the
                              service's default cluster)
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
  list: `Usage: promoter list [--cluster NAME] [--namespace NS] [--deployment NAME] [--state STATE] [--limit N] [--cursor C | --all]

Promotions, newest first, one page at a time (--limit, default 50; --cursor for the next page) or every
page with --all. A CLUSTER column is shown when the service names its clusters.`,
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
  approve: `Usage: promoter approve ID --reason TEXT

Approves a promotion in awaiting_approval; the reason is required and kept in its record. It proceeds once
its policy's approvals are all given (by distinct people, never the one who asked for it): 'promoter status ID'
says who approved and what is still needed.`,
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
  block: `Usage: promoter block add IMAGE --reason TEXT [--namespace NS]
       promoter block list [--image REF] [--namespace NS] [--state active|lifted|all] [--limit N]
       promoter block lift ID --reason TEXT

add blocks an image: promotions of it are refused until the block is lifted. A digest (repo@sha256:...)
blocks every reference carrying it; a tag (repo:tag) blocks that tag. With --namespace the block applies
to that namespace's promotions; without, to every namespace (an unscoped token only).
list shows the blocks, newest first (active ones unless --state); --image asks whether an image is blocked
(with --namespace: blocked there). lift lifts a block; its record is kept with who lifted it and why.

Example:
  promoter block add registry.example.com/mcp/zai-proxy:1.2.1 --reason "leaks memory (INC-4711)" -n mcp`,
  pipeline: `Usage: promoter pipeline apply -f FILE [--name NAME]
       promoter pipeline list
       promoter pipeline run NAME (--image REF | --from-namespace NS --from CANARY [--from-container C] [--strip-suffix S])
                             [--reason TEXT] [--wait [--timeout DURATION]]
       promoter pipeline status NAME [RUN_ID] [--wait [--timeout DURATION]]
       promoter pipeline abort NAME RUN_ID --reason TEXT

apply stores FILE (YAML or .json) as the pipeline's new version; its name is --name, else the file name
without extension. run starts one image through the stages in order (a canary's image is read once, so
every stage gets the same one); with a run under way it queues. --wait prints each stage as it moves and
exits 0 only when every stage succeeded (1 when one failed, the run was aborted or superseded). status
shows a run (default: the latest); abort stops it (its running stage's promotion is aborted).

Example:
  promoter pipeline apply -f examples/pipelines/zai-proxy.yaml
  promoter pipeline run zai-proxy --image ronaldraygun/zai-proxy:1.2.1 --reason "release 1.2.1" --wait`,
  freeze: `Usage: promoter freeze put NAME --from INSTANT --to INSTANT --reason TEXT [scope]
       promoter freeze put NAME --weekly DAYS --from HH:MM --to HH:MM --time-zone ZONE --reason TEXT [scope]
       promoter freeze list
       promoter freeze get NAME
       promoter freeze delete NAME
       promoter freeze override PROMOTION_ID --reason TEXT

While a freeze holds, promotions in its scope wait in frozen before they start and before they patch, then
run their gate again when it ends. Rollbacks are never held. put and delete need an admin token; delete
ends the freeze now. override lets one promotion proceed through freezes (admin), saying why.

  --from, --to                RFC 3339 instants (2026-12-24T00:00:00Z), or with --weekly local times
                              (--to before --from runs over midnight; 24:00 is the end of the day)
  --weekly DAYS               mon,tue,wed,thu,fri,sat,sun: the days the window opens
  --time-zone ZONE            an IANA time zone for --weekly, e.g. Europe/Berlin
  -n, --namespace NS          scope: only these namespaces (repeat or comma-separate; default all)
  --cluster NAME              scope: only these clusters (default all)
  --pipeline NAME             scope: only the stages of these pipelines
  --reason TEXT               shown to whoever the freeze holds

Example:
  promoter freeze put weekend --weekly fri,sat,sun --from 18:00 --to 08:00 --time-zone Europe/Berlin \\
    --namespace mcp --reason "weekend freeze"`,
  evaluate: `Usage: promoter evaluate --policy POLICY --namespace NS --deployment NAME --container NAME
                         [--phase pre|rollout|post] [--from CANARY [--strip-suffix SUFFIX] | --image REF]

Runs the policy's checks for the phase (default pre) now and stores the evaluation; patches nothing.
Exit code 0 when the verdict is pass, 1 otherwise.`,
};

export function commandHelp(command: string): string {
  return `${COMMAND_HELP[command] ?? MAIN_HELP}\n\n${GLOBAL_FLAGS}\n\n${EXIT_CODES}`;
}
