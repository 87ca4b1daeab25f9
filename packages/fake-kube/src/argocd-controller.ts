/**
 * A stand-in for Argo CD's application controller, over the fake's Applications and Deployments, written
 * after Argo CD's documentation and controller/appcontroller.go:
 * - it resolves `spec.source.targetRevision` of `spec.source.repoURL` every `pollMs` (Argo CD's
 *   `timeout.reconciliation`, 180 s by default), and at once when the Application carries the annotation
 *   `argocd.argoproj.io/refresh` (`normal` or `hard`), which it then removes;
 * - it compares the manifests under `spec.source.path` at that revision with the live Deployments and
 *   reports `status.sync` (Synced / OutOfSync / Unknown, with the revision), `status.health` (from the
 *   Deployments' rollout, as Argo CD's Deployment health check reads it) and `status.reconciledAt`;
 * - it runs the operation written to the Application's `operation` field, and with
 *   `spec.syncPolicy.automated` syncs by itself when OutOfSync (never twice for a revision whose automated
 *   sync failed, as Argo CD); the run is recorded in `status.operationState` (Running, then Succeeded,
 *   Failed or Error) and in `status.history`, and `operation` is cleared;
 * - syncing sets the images the manifests declare on the Deployments, as `kubectl apply` would; the
 *   fake's rollout controller then rolls them out.
 * Repositories are read with the `git` CLI from bare repositories (`repositories` maps each repoURL to its
 * path), never through the service's code. Test switches: fail the next syncs, report Degraded, pause.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { ApplicationStore } from './application-store.js';
import { nowIso, type DeploymentStore } from './deployment-store.js';
import { asDeployment } from './deployment-types.js';
import { deploymentHealth, type Health } from './argocd-health.js';
import { isJsonObject, objectAt, type JsonObject, type JsonValue } from './json.js';
import { StatusError } from './status.js';

const run = promisify(execFile);

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

export interface ArgoCdOptions {
  /** repoURL -> path of the bare repository it stands for. */
  readonly repositories: Readonly<Record<string, string>>;
  /** How often each Application's revision is resolved again. Default 180 000 ms, as Argo CD. */
  readonly pollMs?: number;
  /**
   * How often the live state is compared again (Argo CD watches the cluster; the fake looks). Default 50 ms.
   * Revisions are resolved only on a poll, a refresh or an operation.
   */
  readonly watchMs?: number;
}

/** What a test seeds: an Application as `argocd app create` would write it. */
export interface ApplicationSeed {
  readonly name: string;
  /** Default `argocd`. */
  readonly namespace?: string;
  readonly repoURL: string;
  readonly path: string;
  /** Default `HEAD`. */
  readonly targetRevision?: string;
  /** The namespace manifests without one are applied to. */
  readonly destinationNamespace: string;
  /** `spec.syncPolicy.automated`. Default false. */
  readonly automated?: boolean;
}

/** A sync the controller ran, for tests and benchmarks. */
export interface SyncRun {
  readonly application: string;
  readonly revision: string;
  readonly phase: 'Succeeded' | 'Failed' | 'Error';
  readonly initiatedBy: string;
  readonly automated: boolean;
  readonly at: number;
}

interface DeclaredDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly images: ReadonlyArray<{ readonly container: string; readonly image: string }>;
}

interface AppState {
  revision: string | undefined;
  resolvedAt: number;
  manifests: readonly DeclaredDeployment[] | undefined;
  comparisonError: string | undefined;
  failedAutoSyncRevision: string | undefined;
  degraded: string | undefined;
  /** Degraded with this message from the next successful sync, until the one after (a bad version, then its revert). */
  degradeAfterSync: string | undefined;
  degradedBySync: boolean;
  busy: boolean;
  again: boolean;
}

type OperationPhase = 'Succeeded' | 'Failed' | 'Error';

export class ArgoCdController {
  readonly #apps: ApplicationStore;
  readonly #deployments: DeploymentStore;
  readonly #options: Required<ArgoCdOptions>;
  readonly #states = new Map<string, AppState>();
  readonly #timer: NodeJS.Timeout;
  #failures: Array<{ message: string; phase: 'Failed' | 'Error'; application: string | undefined }> = [];
  #paused = false;
  #stopped = false;
  /** Every sync run, oldest first. */
  readonly syncs: SyncRun[] = [];
  /** Refresh annotations honoured, oldest first. */
  readonly refreshes: Array<{ application: string; kind: string; at: number }> = [];

  constructor(apps: ApplicationStore, deployments: DeploymentStore, options: ArgoCdOptions) {
    this.#apps = apps;
    this.#deployments = deployments;
    this.#options = { pollMs: 180_000, watchMs: 50, ...options };
    apps.onChange(({ namespace, name, deleted }) => {
      if (deleted) this.#states.delete(`${namespace}/${name}`);
      else this.#kick(namespace, name);
    });
    this.#timer = setInterval(() => {
      for (const { namespace, name } of this.#apps.keys()) this.#kick(namespace, name);
    }, this.#options.watchMs);
  }

  /** Creates an Application as `argocd app create` (project `default`). */
  addApplication(seed: ApplicationSeed): JsonObject {
    return this.#apps.create(seed.namespace ?? 'argocd', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: seed.name },
      spec: {
        project: 'default',
        source: { repoURL: seed.repoURL, path: seed.path, targetRevision: seed.targetRevision ?? 'HEAD' },
        destination: { server: 'https://kubernetes.default.svc', namespace: seed.destinationNamespace },
        ...(seed.automated ? { syncPolicy: { automated: { prune: false, selfHeal: false } } } : {}),
      },
    });
  }

  /**
   * The next `times` syncs (of `application` only, when named) end in `phase` (default Failed) with
   * `message`, applying nothing.
   */
  failNextSyncs(message: string, options: { readonly times?: number; readonly phase?: 'Failed' | 'Error'; readonly application?: string } = {}): void {
    for (let i = 0; i < (options.times ?? 1); i++) this.#failures.push({ message, phase: options.phase ?? 'Failed', application: options.application });
  }

  /** Reports health Degraded with `message` for an Application (undefined: back to the Deployments' health). */
  setDegraded(namespace: string, name: string, message: string | undefined): void {
    this.#state(namespace, name).degraded = message;
    this.#kick(namespace, name);
  }

  /**
   * From the next successful sync, the Application reports Degraded with `message`, until the sync after it
   * (a version that breaks, then its revert that heals).
   */
  degradeAfterNextSync(namespace: string, name: string, message: string): void {
    this.#state(namespace, name).degradeAfterSync = message;
  }

  /** While paused, nothing is reconciled (no poll, refresh or operation is acted on). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const { namespace, name } of this.#apps.keys()) this.#kick(namespace, name);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #state(namespace: string, name: string): AppState {
    const key = `${namespace}/${name}`;
    let state = this.#states.get(key);
    if (!state) {
      state = { revision: undefined, resolvedAt: 0, manifests: undefined, comparisonError: undefined, failedAutoSyncRevision: undefined, degraded: undefined, degradeAfterSync: undefined, degradedBySync: false, busy: false, again: false };
      this.#states.set(key, state);
    }
    return state;
  }

  /** Reconciles one Application soon; one reconciliation at a time per Application. */
  #kick(namespace: string, name: string): void {
    if (this.#stopped || this.#paused) return;
    const state = this.#state(namespace, name);
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    void this.#reconcile(namespace, name, state)
      .catch(() => undefined)
      .finally(() => {
        state.busy = false;
        if (state.again) {
          state.again = false;
          this.#kick(namespace, name);
        }
      });
  }

  async #reconcile(namespace: string, name: string, state: AppState): Promise<void> {
    const app = this.#apps.peek(namespace, name);
    if (!app || this.#stopped || this.#paused) return;
    const refresh = objectAt(app, 'metadata', 'annotations')?.[REFRESH_ANNOTATION];
    const operation = objectAt(app, 'operation');
    const due = Date.now() - state.resolvedAt >= this.#options.pollMs;
    const resolve = typeof refresh === 'string' || operation !== undefined || due || state.revision === undefined;
    if (resolve) {
      await this.#resolve(app, state);
      if (typeof refresh === 'string') this.refreshes.push({ application: name, kind: refresh, at: Date.now() });
    }
    this.#writeStatus(namespace, name, state, { clearRefresh: typeof refresh === 'string', reconciled: resolve });
    if (operation) {
      await this.#runOperation(namespace, name, state, operation);
      return;
    }
    const current = this.#apps.peek(namespace, name);
    const automated = objectAt(current, 'spec', 'syncPolicy', 'automated') !== undefined;
    const sync = objectAt(current, 'status', 'sync');
    if (automated && sync?.status === 'OutOfSync' && state.revision !== undefined && state.failedAutoSyncRevision !== state.revision) {
      await this.#runOperation(namespace, name, state, { sync: { revision: state.revision }, initiatedBy: { username: '', automated: true } });
    }
  }

  /** Resolves the target revision and reads the manifests there (a comparison error when it cannot). */
  async #resolve(app: JsonObject, state: AppState, revision?: string): Promise<void> {
    state.resolvedAt = Date.now();
    const source = objectAt(app, 'spec', 'source') ?? {};
    const repoURL = String(source.repoURL ?? '');
    const bare = this.#options.repositories[repoURL];
    const target = revision ?? (typeof source.targetRevision === 'string' && source.targetRevision !== '' ? source.targetRevision : 'HEAD');
    const destination = String(objectAt(app, 'spec', 'destination')?.namespace ?? '');
    if (bare === undefined) {
      state.comparisonError = `rpc error: code = Unknown desc = repository not found: ${repoURL}`;
      return;
    }
    try {
      const sha = (await git(bare, ['rev-parse', '--verify', '--quiet', `${target}^{commit}`])).trim();
      state.manifests = await readManifests(bare, sha, String(source.path ?? '.'), destination);
      state.revision = sha;
      state.comparisonError = undefined;
    } catch (error) {
      state.comparisonError = `rpc error: code = Unknown desc = unable to resolve '${target}' to a commit SHA: ${firstLine(error)}`;
    }
  }

  #writeStatus(namespace: string, name: string, state: AppState, { clearRefresh, reconciled }: { clearRefresh: boolean; reconciled: boolean }): void {
    const comparison = this.#compare(state);
    this.#apps.write(namespace, name, (app) => {
      const status = ensure(app, 'status');
      const source = objectAt(app, 'spec', 'source') ?? {};
      const destination = objectAt(app, 'spec', 'destination') ?? {};
      status.sync = { status: comparison.sync, ...(state.revision ? { revision: state.revision } : {}), comparedTo: { source, destination } };
      status.health = comparison.health.message === undefined ? { status: comparison.health.status } : { status: comparison.health.status, message: comparison.health.message };
      status.conditions = state.comparisonError ? [{ type: 'ComparisonError', message: state.comparisonError }] : [];
      status.sourceType = 'Directory';
      // Second precision, as Argo CD's metav1.Time; set when the revision was compared again.
      if (reconciled || status.reconciledAt === undefined) status.reconciledAt = nowIso();
      if (clearRefresh) {
        const annotations = objectAt(app, 'metadata', 'annotations');
        if (annotations) delete annotations[REFRESH_ANNOTATION];
      }
    });
  }

  #compare(state: AppState): { sync: 'Synced' | 'OutOfSync' | 'Unknown'; health: Health } {
    if (state.manifests === undefined || state.comparisonError) return { sync: 'Unknown', health: { status: 'Unknown' } };
    let sync: 'Synced' | 'OutOfSync' = 'Synced';
    const healths: Health[] = [];
    for (const declared of state.manifests) {
      const live = this.#deployments.peek(declared.namespace, declared.name);
      if (!live) {
        sync = 'OutOfSync';
        healths.push({ status: 'Missing' });
        continue;
      }
      const deployment = asDeployment(live);
      const images = new Map(deployment.spec.template.spec.containers.map((c) => [c.name, c.image]));
      if (declared.images.some(({ container, image }) => images.get(container) !== image)) sync = 'OutOfSync';
      healths.push(deploymentHealth(deployment));
    }
    const health = state.degraded !== undefined ? { status: 'Degraded' as const, message: state.degraded } : worst(healths);
    return { sync, health };
  }

  async #runOperation(namespace: string, name: string, state: AppState, operation: JsonObject): Promise<void> {
    const startedAt = nowIso();
    const wanted = objectAt(operation, 'sync')?.revision;
    const initiatedBy = objectAt(operation, 'initiatedBy') ?? {};
    const automated = initiatedBy.automated === true;
    // The operation moves into operationState at once; `operation` is cleared, as Argo CD does.
    this.#apps.write(namespace, name, (app) => {
      delete app.operation;
      ensure(app, 'status').operationState = { operation, phase: 'Running', message: 'one or more tasks are running', startedAt };
    });
    const app = this.#apps.peek(namespace, name);
    if (!app) return;
    await this.#resolve(app, state, typeof wanted === 'string' && wanted !== '' ? wanted : undefined);
    const revision = state.revision ?? '';
    const index = this.#failures.findIndex((f) => f.application === undefined || f.application === name);
    const injected = index < 0 ? undefined : this.#failures.splice(index, 1)[0];
    let phase: OperationPhase = 'Succeeded';
    let message = 'successfully synced (all tasks run)';
    if (state.comparisonError) {
      phase = 'Error';
      message = state.comparisonError;
    } else if (injected) {
      phase = injected.phase;
      message = injected.message;
    } else {
      const failure = this.#apply(state.manifests ?? []);
      if (failure) {
        phase = 'Failed';
        message = `one or more objects failed to apply, reason: ${failure}`;
      }
    }
    state.failedAutoSyncRevision = automated && phase !== 'Succeeded' ? revision : undefined;
    if (phase === 'Succeeded') {
      if (state.degradedBySync) state.degraded = undefined;
      state.degradedBySync = state.degradeAfterSync !== undefined;
      if (state.degradeAfterSync !== undefined) state.degraded = state.degradeAfterSync;
      state.degradeAfterSync = undefined;
    }
    const source = objectAt(app, 'spec', 'source') ?? {};
    this.#apps.write(namespace, name, (current) => {
      const status = ensure(current, 'status');
      status.operationState = {
        operation,
        phase,
        message,
        startedAt,
        finishedAt: nowIso(),
        syncResult: { revision, source, resources: (state.manifests ?? []).map((d) => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: d.namespace, name: d.name, status: phase === 'Succeeded' ? 'Synced' : 'SyncFailed' })) },
      };
      if (phase === 'Succeeded') {
        const history = Array.isArray(status.history) ? status.history : [];
        const id = history.reduce<number>((max, h) => Math.max(max, isJsonObject(h) && typeof h.id === 'number' ? h.id : 0), -1) + 1;
        // Argo CD keeps the last ten (spec.revisionHistoryLimit's default).
        status.history = [...history, { revision, deployStartedAt: startedAt, deployedAt: nowIso(), id, source, initiatedBy }].slice(-10);
      }
    });
    this.syncs.push({ application: name, revision, phase, initiatedBy: String(initiatedBy.username ?? ''), automated, at: Date.now() });
    this.#writeStatus(namespace, name, state, { clearRefresh: false, reconciled: true });
  }

  /** Sets the declared images, as `kubectl apply` of the manifests would; the first failure's message. */
  #apply(manifests: readonly DeclaredDeployment[]): string | undefined {
    for (const declared of manifests) {
      try {
        this.#deployments.update(declared.namespace, declared.name, (current) => {
          for (const container of asDeployment(current).spec.template.spec.containers) {
            const image = declared.images.find((i) => i.container === container.name)?.image;
            if (image !== undefined) container.image = image;
          }
          return current;
        });
      } catch (error) {
        return error instanceof StatusError ? error.status.message : firstLine(error);
      }
    }
    return undefined;
  }
}

function ensure(obj: JsonObject, key: string): JsonObject {
  const value = obj[key];
  if (isJsonObject(value)) return value;
  const created: JsonObject = {};
  obj[key] = created;
  return created;
}

const HEALTH_ORDER: readonly Health['status'][] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** The Application's health is its least healthy resource's (Argo CD's ordering). */
function worst(healths: readonly Health[]): Health {
  return healths.reduce<Health>((acc, h) => (HEALTH_ORDER.indexOf(h.status) > HEALTH_ORDER.indexOf(acc.status) ? h : acc), { status: 'Healthy' });
}

async function git(bare: string, args: readonly string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  return (await run('git', ['--git-dir', bare, ...args], { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
}

/** The Deployments declared by the YAML files under `path` at `revision`. */
async function readManifests(bare: string, revision: string, path: string, destination: string): Promise<DeclaredDeployment[]> {
  const prefix = path === '.' || path === '' ? [] : ['--', path];
  const files = (await git(bare, ['ls-tree', '-r', '--name-only', revision, ...prefix])).split('\n').filter((f) => /\.(ya?ml|json)$/.test(f));
  const out: DeclaredDeployment[] = [];
  for (const file of files) {
    const text = await git(bare, ['show', `${revision}:${file}`]);
    for (const doc of parseAllDocuments(text)) {
      const value = doc.toJS() as JsonValue;
      if (!isJsonObject(value) || value.kind !== 'Deployment') continue;
      const meta = objectAt(value, 'metadata') ?? {};
      const containers = objectAt(value, 'spec', 'template', 'spec')?.containers;
      const images = (Array.isArray(containers) ? containers : []).flatMap((c) =>
        isJsonObject(c) && typeof c.name === 'string' && typeof c.image === 'string' ? [{ container: c.name, image: c.image }] : [],
      );
      out.push({ namespace: typeof meta.namespace === 'string' ? meta.namespace : destination, name: String(meta.name ?? ''), images });
    }
  }
  return out;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? ((error as Error & { stderr?: string }).stderr || error.message) : String(error);
  return text.trim().split('\n')[0] ?? '';
}
