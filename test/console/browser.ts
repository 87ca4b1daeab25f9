/**
 * A real browser for the console tests: playwright-core driving Debian's chromium (CHROMIUM_PATH, or
 * `chromium` on PATH). Missing chromium fails the suite with how to install it: the console is only
 * tested in a browser, so skipping would hide that it is untested. Every page records Content Security
 * Policy violations and console errors, which the tests assert are none.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const MISSING =
  'chromium is needed for the console tests and was not found (CHROMIUM_PATH or `chromium` on PATH): install it with `apt-get install -y chromium` (Debian), or set CHROMIUM_PATH';

export function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist. ${MISSING}`);
    return configured;
  }
  try {
    const found = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  throw new Error(MISSING);
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A new tab in a fresh context (its own sessionStorage), recording CSP violations and console errors. */
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** CSP violations reported in the page (securitypolicyviolation events and console reports). */
  readonly violations: string[];
  /** console.error messages and uncaught exceptions. */
  readonly errors: string[];
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = findChromium();
  // playwright gives every launch a fresh temporary profile (it refuses a --user-data-dir argument).
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
        colorScheme: options.colorScheme ?? 'light',
      });
      contexts.push(context);
      const violations: string[] = [];
      const errors: string[] = [];
      // Registered before any page script runs: a violation anywhere in the page's life is seen.
      // As source text, so this module type-checks without the DOM library (suites outside test/console use it).
      await context.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (event) => { console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI); });",
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const text = message.text();
        if (/content security policy|CSP violation/i.test(text)) violations.push(text);
        // A refused API call is logged by the browser as a failed resource; the tests that provoke one expect it.
        else if (!/Failed to load resource: the server responded with a status of (401|403|409)/.test(text)) errors.push(text);
      });
      page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
      return { page, context, violations, errors };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
