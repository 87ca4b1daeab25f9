/**
 * The README's screenshots, written by the test run, but only over a committed one that differs
 * materially: each run's promotions have other times, durations and measurements, which move a few
 * pixels of text and of the chart's line every time and would dirty the tree on every run; a changed
 * layout, colour or content moves many more. The images are compared pixel by pixel in the test's own
 * chromium (canvas), so no image library is needed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/**
 * The share of pixels that may differ before the committed screenshot is replaced. Measured from run to
 * run with nothing changed: about 0.2% for the list, about 3% for the rolled-back page (its chart's line).
 */
export const MATERIAL_DIFFERENCE = 0.05;

export interface SavedScreenshot {
  /** Share of pixels that differ from the committed file (1 when there is none or its size differs). */
  readonly difference: number;
  readonly written: boolean;
}

export async function saveScreenshot(browser: Browser, png: Buffer, path: string): Promise<SavedScreenshot> {
  const difference = existsSync(path) ? await pixelDifference(browser, readFileSync(path), png) : 1;
  const written = difference > MATERIAL_DIFFERENCE;
  if (written) writeFileSync(path, png);
  return { difference, written };
}

async function pixelDifference(browser: Browser, a: Buffer, b: Buffer): Promise<number> {
  // A blank page of its own: no CSP to forbid data: images, nothing of the console's pages touched.
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ([first, second]) => {
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
        let differing = 0;
        for (let i = 0; i < x.data.length; i += 4) {
          if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2]) differing += 1;
        }
        return differing / (x.width * x.height);
      },
      [a.toString('base64'), b.toString('base64')] as const,
    );
  } finally {
    await page.close();
  }
}
