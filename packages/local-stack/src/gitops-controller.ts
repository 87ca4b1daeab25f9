/**
 * A fake GitOps controller (Argo CD / Flux in miniature) for the demo and the tests: it polls a bare repository's branch,
 * reads the image a manifest declares for a container, and applies it to a Kubernetes API (the fake one)
 * with a strategic-merge patch through client-node, as `kubectl apply` would. With self-heal on it also puts
 * the image back when someone changes the Deployment directly, which is why a direct patch does not stick
 * for teams that run one. Switches: sync at once, slowly (only after a commit has been the branch tip for
 * a while), or never.
 *
 * It reads the manifest with the `yaml` package directly, not with the service's image editor, so a bug
 * there cannot hide itself here.
 *
 * @example
 * const controller = startGitOpsController({
 *   kubeConfig: fake.kubeConfig(),
 *   applications: [{ name: 'zai-proxy', repository: server.barePath('deploy'), file: 'apps/zai-proxy.yaml',
 *                    target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' } }],
 * });
 * controller.setMode({ kind: 'never' });
 * await controller.stop();
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export interface GitOpsApplication {
  readonly name: string;
  /** Path of the bare repository (what the controller clones from). */
  readonly repository: string;
  readonly branch?: string;
  readonly file: string;
  readonly target: { readonly namespace: string; readonly deployment: string; readonly container: string };
}

export type SyncMode = { readonly kind: 'sync' } | { readonly kind: 'slow'; readonly delayMs: number } | { readonly kind: 'never' };

export interface GitOpsControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly applications: readonly GitOpsApplication[];
  readonly intervalMs?: number;
  readonly mode?: SyncMode;
  /** Put the declared image back when the cluster differs (Argo CD's selfHeal). Default true. */
  readonly selfHeal?: boolean;
}

/** A commit the controller saw on the branch, and the image it declares. */
export interface Observation {
  readonly application: string;
  readonly commit: string;
  readonly image: string | undefined;
}

/** An image the controller applied to the cluster. */
export interface SyncRecord {
  readonly application: string;
  readonly commit: string;
  readonly image: string;
  readonly from: string | undefined;
}

export class GitOpsController {
  readonly observations: Observation[] = [];
  readonly syncs: SyncRecord[] = [];
  readonly errors: string[] = [];
  /** Completed polling rounds; tests wait on it instead of sleeping. */
  ticks = 0;
  readonly #apps: AppsV1Api;
  readonly #options: GitOpsControllerOptions;
  readonly #seen = new Map<string, { commit: string; image: string | undefined; since: number }>();
  #mode: SyncMode;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: GitOpsControllerOptions) {
    this.#options = options;
    this.#mode = options.mode ?? { kind: 'sync' };
    this.#apps = options.kubeConfig.makeApiClient(AppsV1Api);
  }

  start(): this {
    this.#schedule(0);
    return this;
  }

  setMode(mode: SyncMode): void {
    this.#mode = mode;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => {
        this.ticks += 1;
        this.#schedule(this.#options.intervalMs ?? 100);
      });
    }, delay);
  }

  async #tick(): Promise<void> {
    for (const application of this.#options.applications) {
      try {
        await this.#reconcile(application);
      } catch (error) {
        this.errors.push(`${application.name}: ${(error as Error).message}`);
      }
    }
  }

  async #reconcile(application: GitOpsApplication): Promise<void> {
    const branch = application.branch ?? 'main';
    const commit = (await git(application.repository, ['rev-parse', `refs/heads/${branch}`])).trim();
    let seen = this.#seen.get(application.name);
    if (seen?.commit !== commit) {
      const text = await git(application.repository, ['show', `${commit}:${application.file}`]);
      seen = { commit, image: declaredImage(text, application.target.deployment, application.target.container), since: Date.now() };
      this.#seen.set(application.name, seen);
      this.observations.push({ application: application.name, commit, image: seen.image });
    }
    const mode = this.#mode;
    if (seen.image === undefined || mode.kind === 'never') return;
    if (mode.kind === 'slow' && Date.now() - seen.since < mode.delayMs) return;
    const { namespace, deployment, container } = application.target;
    const live = await this.#apps.readNamespacedDeployment({ namespace, name: deployment });
    const current = live.spec?.template.spec?.containers.find((c) => c.name === container)?.image;
    if (current === seen.image) return;
    const alreadySynced = this.syncs.some((s) => s.application === application.name && s.commit === commit);
    if (alreadySynced && this.#options.selfHeal === false) return;
    await this.#apps.patchNamespacedDeployment(
      { namespace, name: deployment, body: { spec: { template: { spec: { containers: [{ name: container, image: seen.image }] } } } }, fieldManager: 'fake-gitops-controller' },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    this.syncs.push({ application: application.name, commit, image: seen.image, from: current });
  }
}

export function startGitOpsController(options: GitOpsControllerOptions): GitOpsController {
  return new GitOpsController(options).start();
}

/** The image of `container` in the Deployment `deployment` of a (multi-document) manifest. */
function declaredImage(text: string, deployment: string, container: string): string | undefined {
  for (const document of parseAllDocuments(text)) {
    const object = document.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } } | null;
    if (object?.kind !== 'Deployment' || object.metadata?.name !== deployment) continue;
    return object.spec?.template?.spec?.containers?.find((c) => c.name === container)?.image;
  }
  return undefined;
}

async function git(repository: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repository, ...args], {
    env: { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    timeout: 10_000,
  });
  return stdout;
}
