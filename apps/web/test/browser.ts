/**
 * Debian's Chromium driven by Playwright for the web client's end-to-end tests: launch
 * options, a console watcher, screenshots, and the few user actions every test repeats.
 * Every wait is bounded (Playwright's per-context default timeout, set below).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type LaunchOptions,
  type Page,
} from 'playwright';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../test-results/screenshots');
/** Upper bound for any single wait on the page. */
export const WAIT_MS = 15_000;

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1100, height: 720 };

export const launchOptions: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

export function launchChromium(): Promise<Browser> {
  return chromium.launch(launchOptions);
}

/** A browser profile on disk: closing it and launching it again is "closing the browser". */
export async function launchProfile(
  userDataDir: string,
  viewport = PHONE,
): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    ...launchOptions,
    viewport,
    reducedMotion: 'reduce', // screenshots without half-faded toasts
  });
  context.setDefaultTimeout(WAIT_MS);
  return context;
}

export async function newContext(browser: Browser, viewport = PHONE): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  context.setDefaultTimeout(WAIT_MS);
  return context;
}

export interface ConsoleProblem {
  page: string;
  text: string;
}

/**
 * Collects console errors and uncaught exceptions from every page it watches. Some errors are
 * the browser reporting a failed request that the test caused on purpose (a 409 for a taken
 * username, connection refused while the server is stopped); `unexpected(allowed)` returns
 * everything else.
 */
export class ConsoleWatch {
  readonly problems: ConsoleProblem[] = [];

  watch(page: Page, name: string): Page {
    page.on('console', (m) => {
      if (m.type() === 'error') this.problems.push({ page: name, text: m.text() });
    });
    page.on('pageerror', (e) => this.problems.push({ page: name, text: `uncaught: ${e.message}` }));
    return page;
  }

  unexpected(allowed: readonly RegExp[]): ConsoleProblem[] {
    return this.problems.filter((p) => !allowed.some((re) => re.test(p.text)));
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

// --- user actions ----------------------------------------------------------------------------

export async function fillRegistration(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function waitConnected(page: Page): Promise<void> {
  await page.locator('[data-link="connected"]').waitFor();
}

/**
 * Clicks the connection bar's "Retry now" once the server is back. The client's own backoff
 * may try at the same moment: the button goes away while an attempt is in flight (a click then
 * lands on nothing) and for good once that attempt connects, so look again until one of the
 * two happens.
 */
export async function retryNow(page: Page): Promise<void> {
  const retry = page.getByRole('button', { name: 'Retry now' });
  const connected = page.locator('[data-link="connected"]');
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await connected.count()) > 0) return;
    try {
      await retry.click({ timeout: 1000 });
      return;
    } catch {
      // Detached or hidden mid-click: an attempt of the client's own is running.
    }
  }
  throw new Error('"Retry now" could not be clicked and the client did not reconnect');
}

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await waitConnected(page);
}

export async function startChat(page: Page, peer: string): Promise<void> {
  await page.getByLabel('Username to chat with').fill(peer);
  await page.getByRole('button', { name: 'Chat', exact: true }).click();
  await page.getByRole('heading', { name: peer, exact: true }).waitFor();
}

export async function openChat(page: Page, peer: string): Promise<void> {
  await page.locator(`a.convo[data-peer="${peer}"]`).click();
  await page.getByRole('heading', { name: peer, exact: true }).waitFor();
}

/** Types into the composer and presses Enter (the keyboard path). */
export async function typeAndSend(page: Page, peer: string, text: string): Promise<void> {
  const box = page.getByLabel(`Message to ${peer}`);
  await box.fill(text);
  await box.press('Enter');
}

export function message(page: Page, text: string) {
  return page.locator('li.msg').filter({ hasText: text });
}

/** Waits until the message bubble with `text` shows `status` (queued, sent, delivered, …). */
export async function waitStatus(page: Page, text: string, status: string): Promise<void> {
  await message(page, text)
    .and(page.locator(`[data-status="${status}"]`))
    .waitFor();
}
