/**
 * Exit code 3: the service cannot be reached, or it refuses the token. And the bin itself, as a process,
 * so the wrapper around `run` (argv, streams, exit code) is tested too.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient, type Policy, type Promotion } from '@promoter/sdk';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';
import { freePort } from '../fixtures/ports.js';

const OPERATOR = 'operator-secret-0123456789';
const VIEWER = 'viewer-secret-0123456789';
const ADMIN = 'admin-secret-0123456789';
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    listen: true,
    apiTokens: [
      { name: 'ci', role: 'operator', namespaces: undefined, secret: OPERATOR },
      { name: 'dashboard', role: 'viewer', namespaces: undefined, secret: VIEWER },
      { name: 'admin', role: 'admin', namespaces: undefined, secret: ADMIN },
    ],
  });
  await createPromoterClient({ baseUrl: svc.url, token: ADMIN }).policies.put('default', samplePolicy() as Policy);
});

afterAll(async () => {
  await svc?.close();
});

const promote = ['promote', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--image', 'registry/app:1', '-p', 'default'];

describe('exit code 3', () => {
  it('when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await cli(['list'], { url });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the service at ${url}`);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(result.stderr).toContain('--url or PROMOTER_URL');

    const json = await cli(['status', 'x', '--url', url, '--json']);
    expect(json.code).toBe(3);
    expect(json.json<{ error: { code: string; url: string } }>().error).toMatchObject({ code: 'unreachable', url });
  });

  it('when the token is wrong (401) or missing', async () => {
    const wrong = await cli(['list', '--token', 'definitely-not-a-token'], { url: svc.url });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('HTTP 401 unauthorized');
    expect(wrong.stderr).toContain('Check the token: --token or PROMOTER_TOKEN, --token-file or PROMOTER_TOKEN_FILE.');
    expect((await cli(['list'], { url: svc.url })).code).toBe(3);
  });

  it("when the token's role does not allow the command (403)", async () => {
    const result = await cli(promote, { url: svc.url, env: { PROMOTER_TOKEN: VIEWER } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('HTTP 403 forbidden');
  });

  it('but a good token from PROMOTER_TOKEN works (exit 0)', async () => {
    const result = await cli([...promote, '--json'], { url: svc.url, env: { PROMOTER_TOKEN: OPERATOR } });
    expect(result.code).toBe(0);
    expect(result.json<Promotion>().actor).toBe('ci');
  });
});

describe('the bin as a process', () => {
  const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
  const bin = fileURLToPath(new URL('../../packages/cli/src/cli.ts', import.meta.url));
  const spawnCli = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, [tsx, '--conditions=development', bin, ...args], { env: { ...process.env, NO_COLOR: '', ...env } }).then(
      (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it("exits with run's code and writes its output (one spawn: starting tsx is the slow part)", async () => {
    const refused = await spawnCli(['promote', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--image', 'registry/app:1', '-p', 'default', '--json'], {
      PROMOTER_URL: svc.url,
      PROMOTER_TOKEN: VIEWER,
    });
    expect(refused.code).toBe(3);
    expect((JSON.parse(refused.stdout) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(refused.stderr).toContain('HTTP 403 forbidden');
  });
});

