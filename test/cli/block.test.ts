/**
 * `promoter block add|list|lift` against the real service (listening, PostgreSQL): human and --json output,
 * exit codes, the refusal of a promotion of a blocked image, and usage errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockedImage } from '@promoter/sdk';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';

let svc: TestService;
let url: string;

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  url = svc.url;
  expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy() })).statusCode).toBe(201);
});
afterAll(() => svc?.close());

describe('promoter block', () => {
  it('add, list (and --image), lift: the lifted record stays listed with --state lifted', async () => {
    const added = await cli(['block', 'add', 'registry.example.com/mcp/zai-proxy:1.2.1', '--reason', 'leaks memory (INC-4711)', '-n', 'mcp'], { url });
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^Blocked registry\.example\.com\/mcp\/zai-proxy:1\.2\.1 in namespace mcp: block [0-9a-f-]{36}\.\n$/);
    const id = /block ([0-9a-f-]{36})/.exec(added.stdout)?.[1] ?? '';

    const listed = await cli(['block', 'list'], { url, columns: 200 });
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.split('\n');
    expect(header).toMatch(/^ID\s+IMAGE\s+SCOPE\s+STATE\s+REASON\s+BY\s+AT\s+SOURCE/);
    expect(row).toContain(id);
    expect(row).toContain('leaks memory (INC-4711)');
    expect(row).toContain('manual');

    const asked = await cli(['block', 'list', '--image', 'registry.example.com/mcp/zai-proxy:1.2.1', '--namespace', 'mcp', '--json'], { url });
    expect(asked.code).toBe(0);
    expect(asked.json<{ items: BlockedImage[] }>().items.map((b) => b.id)).toEqual([id]);
    const other = await cli(['block', 'list', '--image', 'registry.example.com/mcp/zai-proxy:1.2.2'], { url });
    expect(other.stdout).toBe('registry.example.com/mcp/zai-proxy:1.2.2 is not blocked.\n');

    // The service refuses the promotion; the CLI says why and exits 1.
    const promoted = await cli(['promote', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--image', 'registry.example.com/mcp/zai-proxy:1.2.1', '--policy', 'default'], { url });
    expect(promoted.code).toBe(1);
    expect(promoted.stderr).toContain('Image blocked');
    expect(promoted.stderr).toContain(id);
    expect(promoted.stderr).toContain('(HTTP 409 image-blocked)');

    const lifted = await cli(['block', 'lift', id, '--reason', 'fixed in 1.2.2', '--json'], { url });
    expect(lifted.code).toBe(0);
    expect(lifted.json<BlockedImage>()).toMatchObject({ id, state: 'lifted', liftReason: 'fixed in 1.2.2' });
    expect((await cli(['block', 'list'], { url })).stdout).toBe('No blocked images.\n');
    const history = await cli(['block', 'list', '--state', 'lifted', '--json'], { url });
    expect(history.json<{ items: BlockedImage[] }>().items.map((b) => b.id)).toEqual([id]);

    const again = await cli(['block', 'lift', id, '--reason', 'twice'], { url });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('block-already-lifted');
  });

  it('--json of add is the API document; a duplicate exits 1 naming the existing block', async () => {
    const added = await cli(['block', 'add', 'nginx:1.25', '--reason', 'CVE', '--json'], { url });
    expect(added.code).toBe(0);
    const block = added.json<BlockedImage>();
    expect(block).toMatchObject({ image: 'nginx:1.25', normalizedImage: 'docker.io/library/nginx:1.25', namespace: null, source: 'manual' });
    const duplicate = await cli(['block', 'add', 'docker.io/library/nginx:1.25', '--reason', 'again', '--json'], { url });
    expect(duplicate.code).toBe(1);
    expect(duplicate.json<{ error: { code: string; detail: string } }>().error).toMatchObject({ code: 'image-already-blocked' });
    expect(duplicate.json<{ error: { detail: string } }>().error.detail).toContain(block.id);
  });

  const usage: ReadonlyArray<[string, string[], string]> = [
    ['no subcommand', ['block'], 'missing subcommand: one of add, list, lift'],
    ['an unknown subcommand', ['block', 'remove', 'x'], "unknown subcommand 'remove'"],
    ['add without --reason', ['block', 'add', 'app:1'], 'missing required flag --reason'],
    ['add without an image', ['block', 'add', '--reason', 'x'], 'missing IMAGE'],
    ['lift without --reason', ['block', 'lift', '00000000-0000-4000-8000-000000000000'], 'missing required flag --reason'],
    ['--image with add', ['block', 'add', 'app:1', '--reason', 'x', '--image', 'y'], '--image goes with block list'],
    ['a bad --state', ['block', 'list', '--state', 'gone'], '--state must be one of active, lifted, all'],
  ];
  it.each(usage)('%s is a usage error (exit 2)', async (_name, argv, message) => {
    const result = await cli(argv, { url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('promoter block --help');
  });

  it('block --help explains the subcommands', async () => {
    const help = await cli(['block', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('promoter block add IMAGE --reason TEXT [--namespace NS]');
    expect(help.stdout).toContain('promoter block lift ID --reason TEXT');
    expect((await cli(['--help'])).stdout).toContain('block SUBCOMMAND');
  });
});
