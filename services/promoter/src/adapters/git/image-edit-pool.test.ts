/** The YAML worker: answers as the domain code would, stops a job past its time limit, and goes on. */
import { afterAll, describe, expect, it } from 'vitest';
import { ImageEditError } from '../../domain/gitops/image-edit.js';
import { ImageEditWorker } from './image-edit-pool.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const manifest = (image: string) => `kind: Deployment\nspec: {template: {spec: {containers: [{name: proxy, image: ${image}}]}}}\n`;
const proxy = { kind: 'manifest', container: 'proxy' } as const;

describe('ImageEditWorker', () => {
  const worker = new ImageEditWorker({ limits: { maxDocuments: 1_000_000 }, jobTimeoutMs: 1_500 });
  afterAll(() => worker.close());

  it('reads and sets an image in its thread', async () => {
    expect(await worker.readImage(bytes(manifest('team/app:1.0')), proxy, 'f.yaml')).toBe('team/app:1.0');
    const edit = await worker.setImage(bytes(manifest('team/app:1.0')), proxy, { file: 'f.yaml', expectedCurrentImage: 'team/app:1.0', newImage: 'team/app:1.1' });
    expect(edit).toEqual({ text: manifest('team/app:1.1'), previousImage: 'team/app:1.0', changed: true });
  });

  it('gives back the domain error with its code', async () => {
    const failed = worker.setImage(bytes(manifest('team/app:0.9')), proxy, { file: 'f.yaml', expectedCurrentImage: 'team/app:1.0', newImage: 'team/app:1.1' });
    await expect(failed).rejects.toBeInstanceOf(ImageEditError);
    await expect(failed).rejects.toMatchObject({ code: 'image-drift', found: 'team/app:0.9' });
    await expect(worker.readImage(new Uint8Array([0xff, 0xfe, 0x00]), proxy, 'f.yaml')).rejects.toMatchObject({ code: 'invalid-yaml', message: 'f.yaml is not UTF-8 text' });
  });

  it('stops a parse past the time limit, refuses that file, and answers the next job', async () => {
    const slow = bytes('---\nkind: X\n'.repeat(400_000));
    const started = Date.now();
    await expect(worker.readImage(slow, proxy, 'slow.yaml')).rejects.toMatchObject({ code: 'too-large', message: 'slow.yaml took longer than 1.5 s to parse (the limit); it is not edited' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await worker.readImage(bytes(manifest('team/app:2.0')), proxy, 'f.yaml')).toBe('team/app:2.0');
  });
});
