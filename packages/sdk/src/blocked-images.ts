/** `client.blockedImages`: images that must not be promoted (`/v1/blocked-images`). */
import type { CallOptions, Transport } from './transport.js';
import type { BlockedImage, BlockedImageRequest, ListBlockedImagesQuery } from './types.js';

export class BlockedImagesApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Blocks an image: a promotion of it is refused (409 `image-blocked`) until the block is lifted. A digest
   * blocks every reference carrying it; a tag blocks that tag. Without `namespace`, in every namespace.
   * Not retried after an ambiguous failure (a retry of a block that was made answers 409 `image-already-blocked`).
   *
   * @example
   * ```ts
   * const block = await client.blockedImages.add({ image: 'registry.example.com/app:1.2.1', reason: 'leaks memory', namespace: 'mcp' });
   * ```
   */
  async add(request: BlockedImageRequest, options: CallOptions = {}): Promise<BlockedImage> {
    const { data } = await this.#transport.send((init) => this.#transport.api.POST('/v1/blocked-images', { ...init, body: request }), { ...options, mode: 'unsafe' });
    return data;
  }

  /**
   * Blocks, newest first: active ones by default; `image` asks whether (and by what) an image is blocked.
   *
   * @example
   * ```ts
   * const [block] = await client.blockedImages.list({ image: 'registry.example.com/app:1.2.1', namespace: 'mcp' });
   * if (block) console.log(`blocked by ${block.createdBy}: ${block.reason}`);
   * ```
   */
  async list(query: ListBlockedImagesQuery = {}, options: CallOptions = {}): Promise<BlockedImage[]> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/blocked-images', { ...init, params: { query } }), { ...options, mode: 'idempotent' });
    return data.items;
  }

  /**
   * One block, active or lifted.
   *
   * @example
   * ```ts
   * const block = await client.blockedImages.get(id);
   * ```
   */
  async get(id: string, options: CallOptions = {}): Promise<BlockedImage> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/blocked-images/{id}', { ...init, params: { path: { id } } }), { ...options, mode: 'idempotent' });
    return data;
  }

  /**
   * Lifts a block (the record is kept, with who lifted it and why); the image may be promoted again.
   *
   * @example
   * ```ts
   * await client.blockedImages.lift(id, 'fixed in the base image');
   * ```
   */
  async lift(id: string, reason: string, options: CallOptions = {}): Promise<BlockedImage> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.DELETE('/v1/blocked-images/{id}', { ...init, params: { path: { id }, query: { reason } } }),
      { ...options, mode: 'unsafe' },
    );
    return data;
  }
}
