/**
 * A fake Kubernetes API server for tests: a real HTTP server on 127.0.0.1 that @kubernetes/client-node
 * talks to through an ordinary kubeconfig. What it implements, and how, is summarised in `index.ts`.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { asDeployment, type DeploymentObject, type DeploymentSeed } from './deployment-types.js';
import { DeploymentStore } from './deployment-store.js';
import { ApplicationStore } from './application-store.js';
import { ArgoCdController, type ArgoCdOptions } from './argocd-controller.js';
import { FaultInjector, injectedStatus, type FailRule, type RequestMatch } from './faults.js';
import { handle, type RequestBody } from './handlers.js';
import type { JsonObject, JsonValue } from './json.js';
import { DEFAULT_ROLLOUT, RolloutController, type RolloutBehaviour } from './rollout-controller.js';
import { parseResourceRequest } from './routes.js';
import { StatusError, statuses, toJson } from './status.js';

export interface FakeKubeOptions {
  /** Bearer token clients must send; `null` accepts any request. Default `fake-kube-token`. */
  readonly token?: string | null;
  /** The user named in Forbidden messages. Default `system:serviceaccount:promoter:promoter`. */
  readonly user?: string;
  /** Rollout behaviour for every Deployment unless set per Deployment. */
  readonly rollout?: Partial<RolloutBehaviour>;
}

/** One request as the fake received it; `status`, `fault` and `closedByClient` fill in as it is served. */
export interface LoggedRequest {
  readonly method: string;
  /** URL path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Media type without parameters, e.g. `application/json-patch+json`. */
  readonly contentType: string | undefined;
  /** The parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  readonly body: JsonValue | undefined;
  /** `Date.now()` when the request arrived. */
  readonly time: number;
  /** The status code answered; undefined while a request hangs. */
  readonly status: number | undefined;
  /** Set when the answer came from `failNext` / `hangNext` (not for `beforeNext`). */
  readonly fault: 'fail' | 'hang' | undefined;
  /** A hung request whose client closed the connection (e.g. aborted on its own timeout). */
  readonly closedByClient: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FakeKube {
  readonly #server: Server;
  readonly #store = new DeploymentStore();
  readonly #applications = new ApplicationStore();
  #argoCd: ArgoCdController | undefined;
  readonly #controller: RolloutController;
  readonly #faults = new FaultInjector();
  readonly #hanging = new Set<ServerResponse>();
  readonly #token: string | null;
  readonly #user: string;
  readonly #requests: Array<Mutable<LoggedRequest>> = [];
  #url = '';

  private constructor(options: FakeKubeOptions) {
    this.#token = options.token === undefined ? 'fake-kube-token' : options.token;
    this.#user = options.user ?? 'system:serviceaccount:promoter:promoter';
    this.#controller = new RolloutController(this.#store, { ...DEFAULT_ROLLOUT, ...options.rollout });
    this.#server = createServer((req, res) => {
      this.#onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#send(res, 500, toJson(statuses.internal(String(err))));
      });
    });
  }

  /** Starts a fake API server on 127.0.0.1 with an ephemeral port. */
  static async start(options: FakeKubeOptions = {}): Promise<FakeKube> {
    const fake = new FakeKube(options);
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = fake.#server.address() as AddressInfo;
    fake.#url = `http://127.0.0.1:${port}`;
    return fake;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return this.#url;
  }

  /** Every request received, oldest first. */
  get requests(): readonly LoggedRequest[] {
    return this.#requests;
  }

  clearRequests(): void {
    this.#requests.length = 0;
  }

  /**
   * A KubeConfig pointing at this server. Plain HTTP needs `skipTLSVerify: true`: client-node 1.4 refuses
   * `http:` servers otherwise.
   */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake-kube', server: this.#url, skipTLSVerify: true }],
      users: [{ name: 'fake-kube-user', ...(this.#token === null ? {} : { token: this.#token }) }],
      contexts: [{ name: 'fake-kube', cluster: 'fake-kube', user: 'fake-kube-user' }],
      currentContext: 'fake-kube',
    });
    return kc;
  }

  /** The same configuration as kubeconfig YAML, for a child process that reads KUBECONFIG. */
  kubeconfigYaml(): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: fake-kube',
      '    cluster:',
      `      server: ${this.#url}`,
      '      insecure-skip-tls-verify: true',
      'users:',
      '  - name: fake-kube-user',
      this.#token === null ? '    user: {}' : `    user:\n      token: ${JSON.stringify(this.#token)}`,
      'contexts:',
      '  - name: fake-kube',
      '    context:',
      '      cluster: fake-kube',
      '      user: fake-kube-user',
      'current-context: fake-kube',
      '',
    ].join('\n');
  }

  async writeKubeconfig(path: string): Promise<void> {
    await writeFile(path, this.kubeconfigYaml(), { mode: 0o600 });
  }

  /** Seeds a Deployment; by default it starts fully rolled out (all replicas updated and available). */
  addDeployment(seed: DeploymentSeed & { readonly rollout?: Partial<RolloutBehaviour> }): DeploymentObject {
    const created = this.#store.create(seed);
    if (seed.rollout) this.#controller.setBehaviour(seed.namespace, seed.name, seed.rollout);
    if (seed.rolledOut !== false) this.#controller.markRolledOut(seed.namespace, seed.name);
    return this.getDeployment(seed.namespace, seed.name) ?? created;
  }

  /** A copy of the stored Deployment, or undefined. */
  getDeployment(namespace: string, name: string): DeploymentObject | undefined {
    const obj = this.#store.peek(namespace, name);
    return obj ? asDeployment(structuredClone(obj)) : undefined;
  }

  /**
   * Changes a Deployment out of band, as another client would (same generation / resourceVersion rules),
   * e.g. to change the image under a promotion's feet.
   */
  updateDeployment(namespace: string, name: string, mutate: (deployment: DeploymentObject) => void): DeploymentObject {
    const updated = this.#store.update(namespace, name, (current) => {
      mutate(asDeployment(current));
      return current;
    });
    return asDeployment(updated);
  }

  /** Changes how the rollout controller treats one Deployment (takes effect on its next step). */
  setRollout(namespace: string, name: string, behaviour: Partial<RolloutBehaviour>): void {
    this.#controller.setBehaviour(namespace, name, behaviour);
  }

  /** The next `times` (default 1) requests matching method and path answer `status` with a Status body. */
  failNext(rule: FailRule): void {
    this.#faults.add(rule, { kind: 'fail', status: rule.status, ...(rule.message === undefined ? {} : { message: rule.message }) });
  }

  /** The next `times` (default 1) matching requests are never answered (until the client gives up or close()). */
  hangNext(match: RequestMatch): void {
    this.#faults.add(match, { kind: 'hang' });
  }

  /**
   * Runs `action` just before the next `times` (default 1) matching requests are handled, e.g. another
   * client's `updateDeployment` between a read and a patch. The request is then served normally.
   */
  beforeNext(match: RequestMatch, action: () => void): void {
    this.#faults.add(match, { kind: 'before', run: action });
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * Starts the Argo CD controller over this server's Applications and Deployments (one per server; a second
   * call returns the first). Applications are served whether or not it runs.
   */
  startArgoCd(options: ArgoCdOptions): ArgoCdController {
    this.#argoCd ??= new ArgoCdController(this.#applications, this.#store, options);
    return this.#argoCd;
  }

  /** A copy of a stored Application, or undefined. */
  getApplication(namespace: string, name: string): JsonObject | undefined {
    const obj = this.#applications.peek(namespace, name);
    return obj ? structuredClone(obj) : undefined;
  }

  /** Stops the rollout timers, drops hanging requests and closes the server. */
  async close(): Promise<void> {
    this.#argoCd?.stop();
    this.#controller.stop();
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.#url);
    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const json = parseJson(text);
    const entry: Mutable<LoggedRequest> = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      body: text === '' ? undefined : (json ?? text),
      time: Date.now(),
      status: undefined,
      fault: undefined,
      closedByClient: false,
    };
    this.#requests.push(entry);

    if (this.#token !== null && req.headers.authorization !== `Bearer ${this.#token}`) {
      entry.status = this.#send(res, 401, toJson(statuses.unauthorized()));
      return;
    }
    const resource = parseResourceRequest(method, url);
    const fault = this.#faults.take(method, url.pathname);
    if (fault?.kind === 'hang') {
      entry.fault = 'hang';
      this.#hanging.add(res);
      res.on('close', () => {
        entry.closedByClient = this.#hanging.delete(res);
      });
      return;
    }
    if (fault?.kind === 'fail') {
      entry.fault = 'fail';
      entry.status = this.#send(res, fault.status, toJson(injectedStatus(fault.status, resource, this.#user, fault.message)));
      return;
    }
    if (!resource && method === 'GET' && url.pathname === '/version') {
      // The API server's build information (k8s.io/apimachinery/pkg/version.Info), readable by every
      // authenticated user: what a client asks to learn that the server answers.
      entry.status = this.#send(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-fake', gitCommit: '', gitTreeState: 'clean', buildDate: '', goVersion: '', compiler: 'gc', platform: 'linux/amd64' });
      return;
    }
    if (!resource) {
      entry.status = this.#send(res, 404, toJson(statuses.pathNotFound()));
      return;
    }
    const body: RequestBody = { contentType: contentType ?? '', json };
    try {
      if (fault?.kind === 'before') fault.run();
      const answer = handle({ store: this.#store, controller: this.#controller, applications: this.#applications }, method, resource, url, body);
      entry.status = this.#send(res, answer.code, answer.body);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      entry.status = this.#send(res, err.status.code, toJson(err.status));
    }
  }

  #send(res: ServerResponse, code: number, body: JsonObject): number {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return code;
  }
}

function parseJson(text: string): JsonValue | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
