// Headless Chromium (Debian's package) driven by playwright-core, for the visualizer's browser tests.
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH } from '../../src/devenv/chromium.ts';

export const ARTIFACTS = join(process.cwd(), 'test-results');
export const WAIT_MS = 15_000;

// playwright-core's types, as far as this test uses them (loaded at run time, see below).
export interface Locator {
  textContent(options?: { timeout?: number }): Promise<string | null>;
  allTextContents(): Promise<string[]>;
  getAttribute(name: string): Promise<string | null>;
  locator(selector: string): Locator;
  all(): Promise<Locator[]>;
  selectOption(value: string): Promise<unknown>;
  click(): Promise<void>;
}
export interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  on(event: 'request', listener: (request: { url(): string }) => void): void;
  on(event: 'framenavigated', listener: () => void): void;
}
export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
export interface PlaywrightCore {
  chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: {
        executablePath: string;
        headless: boolean;
        args: string[];
        viewport: { width: number; height: number };
      },
    ): Promise<BrowserContext>;
  };
}

async function loadPlaywright(): Promise<PlaywrightCore> {
  try {
    // A variable specifier: the test fails with install instructions instead of at import.
    const name = 'playwright-core';
    return (await import(name)) as PlaywrightCore;
  } catch (err) {
    throw new Error('playwright-core is not installed: it is a devDependency of this test (npm ci)', {
      cause: err,
    });
  }
}

/**
 * Polls `check` from Node through the browser protocol (the page's CSP forbids the string
 * evaluation of page.waitForFunction) until it holds; fails after WAIT_MS.
 */
export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh headless browser profile; close() removes it. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  await access(CHROMIUM_PATH).catch((err: unknown) => {
    throw new Error(`${CHROMIUM_PATH} is missing: install it with \`apt-get install -y chromium\``, {
      cause: err,
    });
  });
  const playwright = await loadPlaywright();
  await mkdir(ARTIFACTS, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'flinkvisor-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1400, height: 1000 },
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
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
