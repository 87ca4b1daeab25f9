/**
 * Keep-alive connections to the API server. client-node 1.4 builds a new `https.Agent` (or `http.Agent`)
 * for every request in `KubeConfig.applySecurityAuthentication`, so each call opened a new TCP connection
 * and, against a real API server, a new TLS handshake: with the engine reading the target Deployment on
 * every verifying step, that was most of a step's CPU. A request middleware (it runs after the
 * authentication step has set the fresh agent) swaps that agent for a shared keep-alive agent with the
 * same TLS settings. Agents are keyed by those settings, so rotated client certificates (exec plugins)
 * get a new agent; proxy agents are left alone.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** The TLS settings client-node copies from the kubeconfig onto its agent (config.js applySecurityAuthentication). */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** Enough agents for a few credential rotations; the oldest is closed when a new one would exceed it. */
const MAX_AGENTS = 4;

type PlainAgent = http.Agent & { readonly options?: Readonly<Record<string, unknown>> };

export class KeepAliveAgents {
  readonly #agents = new Map<string, http.Agent>();

  /** The shared agent with `agent`'s settings, or `agent` itself when it is not a plain http(s) agent. */
  shared(agent: http.Agent | undefined): http.Agent | undefined {
    if (agent === undefined) return undefined;
    const secure = agent.constructor === https.Agent;
    if (!secure && agent.constructor !== http.Agent) return agent;
    const options = (agent as PlainAgent).options ?? {};
    const settings = Object.fromEntries(TLS_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
    const key = `${secure ? 'https' : 'http'}:${fingerprint(settings)}`;
    let found = this.#agents.get(key);
    if (found === undefined) {
      found = secure ? new https.Agent({ ...settings, keepAlive: true }) : new http.Agent({ keepAlive: true });
      this.#agents.set(key, found);
      if (this.#agents.size > MAX_AGENTS) {
        const [oldestKey, oldest] = this.#agents.entries().next().value as [string, http.Agent];
        this.#agents.delete(oldestKey);
        oldest.destroy();
      }
    }
    // The per-request agent never opened a socket; nothing to close.
    return found;
  }

  get size(): number {
    return this.#agents.size;
  }

  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

/** A digest of the settings, so key material is not kept as a map key in clear. */
function fingerprint(settings: Readonly<Record<string, unknown>>): string {
  const hash = createHash('sha256');
  for (const [name, value] of Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(name).update('\0');
    for (const part of Array.isArray(value) ? value : [value]) hash.update(Buffer.isBuffer(part) ? part : String(part)).update('\0');
  }
  return hash.digest('hex');
}
