/**
 * The README's screenshots as a visual check: each run's picture is compared with the committed one, and a
 * real difference fails the test instead of being written into the tree. What differs from run to run by
 * nature (times, durations, the charts' lines: each run has other timestamps and measurements) is left out of
 * the comparison: the boxes of `time`, `[data-volatile]` and chart canvases in the page being shot are
 * ignored in both images. Everything else — layout, colours, text, badges — must match.
 *
 * To accept a new picture on purpose (a deliberate change of the console): `PROMOTER_ACCEPT_SCREENSHOTS=1
 * npx vitest run test/console`, then commit docs/images. A failing run leaves the new picture in
 * `.tmp/screenshots/` for a look. The images are compared in the test's own chromium (canvas), so no image
 * library is needed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';

/**
 * The share of compared pixels that may differ. Measured run to run with nothing changed and the volatile
 * boxes left out: 0 on all three pictures (four runs), then 0.006% on the promotions list on a loaded
 * machine (anti-aliasing at the edges of the boxes left out); one heading word changed ("Checks" ->
 * "Checks run") moved 0.03% of the rolled-back page, a colour or layout change far more.
 */
export const MATERIAL_DIFFERENCE = 0.0002;

/** Elements whose pixels depend on when the test ran, not on what the console shows. */
export const VOLATILE_SELECTOR = 'time, [data-volatile], canvas';

const REJECTED_DIR = join(process.cwd(), '.tmp', 'screenshots');

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface ComparedScreenshot {
  /** Share of compared pixels that differ from the committed file (1 when there is none or its size differs). */
  readonly difference: number;
  /** The new picture was written over the committed one (only when accepting on purpose). */
  readonly written: boolean;
}

export class ScreenshotMismatch extends Error {}

/**
 * The boxes of the volatile elements, relative to the top-left corner of what is shot: the element `scope`,
 * the whole page (`fullPage`: page coordinates) or the viewport; `alsoVolatile` names more for one picture.
 */
export async function volatileBoxes(page: Page, shot: Locator | 'fullPage' | 'viewport', alsoVolatile?: string): Promise<Box[]> {
  const scope = typeof shot === 'string' ? undefined : shot;
  const origin = scope ? await scope.boundingBox() : { x: 0, y: 0 };
  if (!origin) return [];
  const scroll = shot === 'fullPage' ? await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY })) : { x: 0, y: 0 };
  const boxes: Box[] = [];
  for (const element of await (scope ?? page.locator('body')).locator(alsoVolatile ? `${VOLATILE_SELECTOR}, ${alsoVolatile}` : VOLATILE_SELECTOR).all()) {
    const box = await element.boundingBox();
    if (box) boxes.push({ x: box.x - origin.x + scroll.x, y: box.y - origin.y + scroll.y, width: box.width, height: box.height });
  }
  return boxes;
}

/**
 * Compares `png` with the committed picture at `path`, ignoring `ignore`. Throws ScreenshotMismatch on a real
 * difference unless PROMOTER_ACCEPT_SCREENSHOTS=1, which writes the new picture instead.
 */
export async function compareScreenshot(browser: Browser, png: Buffer, path: string, ignore: readonly Box[]): Promise<ComparedScreenshot> {
  const accept = process.env.PROMOTER_ACCEPT_SCREENSHOTS === '1';
  const difference = existsSync(path) ? await pixelDifference(browser, readFileSync(path), png, ignore) : 1;
  if (difference <= MATERIAL_DIFFERENCE) return { difference, written: false };
  if (accept) {
    writeFileSync(path, png);
    return { difference, written: true };
  }
  mkdirSync(REJECTED_DIR, { recursive: true });
  const rejected = join(REJECTED_DIR, basename(path));
  writeFileSync(rejected, png);
  throw new ScreenshotMismatch(
    `${basename(path)}: ${(difference * 100).toFixed(3)}% of the compared pixels differ from the committed picture (at most ${MATERIAL_DIFFERENCE * 100}%). ` +
      `The new one is in ${rejected}; if the change is deliberate, rerun with PROMOTER_ACCEPT_SCREENSHOTS=1 and commit docs/images.`,
  );
}

async function pixelDifference(browser: Browser, a: Buffer, b: Buffer, ignore: readonly Box[]): Promise<number> {
  // A blank page of its own: no CSP to forbid data: images, nothing of the console's pages touched.
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ([first, second, boxes]) => {
        const pixels = async (base64: string) => {
          const image = new Image();
          image.src = `data:image/png;base64,${base64}`;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext('2d');
          if (!context) throw new Error('no 2d canvas');
          context.drawImage(image, 0, 0);
          return context.getImageData(0, 0, canvas.width, canvas.height);
        };
        const [x, y] = await Promise.all([pixels(first), pixels(second)]);
        if (x.width !== y.width || x.height !== y.height) return 1;
        const ignored = new Uint8Array(x.width * x.height);
        for (const box of boxes) {
          const left = Math.max(0, Math.floor(box.x));
          const top = Math.max(0, Math.floor(box.y));
          const right = Math.min(x.width, Math.ceil(box.x + box.width));
          const bottom = Math.min(x.height, Math.ceil(box.y + box.height));
          for (let row = top; row < bottom; row++) ignored.fill(1, row * x.width + left, row * x.width + right);
        }
        let compared = 0;
        let differing = 0;
        for (let p = 0; p < ignored.length; p++) {
          if (ignored[p]) continue;
          compared += 1;
          const i = p * 4;
          if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2]) differing += 1;
        }
        return compared === 0 ? 1 : differing / compared;
      },
      [a.toString('base64'), b.toString('base64'), ignore] as const,
    );
  } finally {
    await page.close();
  }
}
