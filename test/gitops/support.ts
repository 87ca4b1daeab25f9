/** Shared set-up of the GitOps tests: a configured GitDelivery over the test git server, a capturing logger. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitDelivery, parseGitConfig, type GitLogger } from '../../services/promoter/src/adapters/git/index.js';

export const MANIFEST = `# zai-proxy in production
apiVersion: apps/v1
kind: Deployment
metadata:
  name: zai-proxy
  namespace: mcp
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: proxy
          image: ronaldraygun/zai-proxy:1.2.0 # promoted by promoter
        - name: sidecar
          image: envoyproxy/envoy:v1.30.1
`;

export interface CapturedLogger extends GitLogger {
  readonly lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const push = (level: string) => (object: object, message: string) => lines.push(`${level} ${JSON.stringify(object)} ${message}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn') };
}

export interface DeliverySetup {
  readonly delivery: GitDelivery;
  readonly cacheDir: string;
  readonly logger: CapturedLogger;
}

/**
 * A GitDelivery configured with `repositories` (YAML entries without author, which is added), through the
 * same parser the service uses. `tokenFile` entries are written from `tokens`.
 */
export async function makeDelivery(
  repositories: ReadonlyArray<Record<string, unknown>>,
  options: { cacheDir?: string; timeoutSeconds?: number; pushAttempts?: number; gitBinary?: string; environment?: Record<string, string> } = {},
): Promise<DeliverySetup> {
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), 'promoter-git-cache-')));
  const text = JSON.stringify({
    cacheDir,
    ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
    ...(options.pushAttempts ? { pushAttempts: options.pushAttempts } : {}),
    repositories: repositories.map((r) => ({ branch: 'main', author: { name: 'Promoter Bot', email: 'promoter@example.com' }, ...r })),
  });
  const logger = captureLogger();
  const config = parseGitConfig(text, 'test-config.json', { cacheDir });
  const delivery = new GitDelivery({ config, logger, environment: options.environment ?? {}, ...(options.gitBinary ? { gitBinary: options.gitBinary } : {}) });
  return { delivery, cacheDir, logger };
}

export async function writeTokenFile(token: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promoter-token-'));
  const path = join(dir, 'token');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}
