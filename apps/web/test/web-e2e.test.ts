/**
 * The web client end to end: Debian's Chromium (headless, Playwright) against the real chat
 * server process, serving the production build. One scenario, in steps that build on each
 * other like a person's afternoon: two people register and chat, compare safety numbers,
 * reload, close the browser, lose the server, and one of them reinstalls.
 *
 * Alice uses a desktop-sized window; Bob a phone-sized browser profile on disk (so closing
 * and relaunching it keeps his IndexedDB, like a real browser); "Bob's new phone" is a fresh
 * profile that logs in to Bob's account and so gets a new identity key.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleWatch,
  DESKTOP,
  fillRegistration,
  launchChromium,
  launchProfile,
  logIn,
  message,
  newContext,
  SCREENSHOT_DIR,
  openChat,
  retryNow,
  screenshot,
  startChat,
  typeAndSend,
  waitConnected,
  waitStatus,
} from './browser.ts';
import { WEB_DIST } from '../src/build/vite-config.ts';
import { ensureWebBuild } from './build-web.ts';
import { startWebStack, type WebStack } from './stack.ts';

const STEP_MS = 60_000;
const suffix = Date.now().toString(36).slice(-5);
const ALICE = `alice_${suffix}`;
const BOB = `bob_${suffix}`;
const PASSWORD = 'correct horse battery';

/**
 * Console errors the browser itself prints for requests these steps fail on purpose; any
 * other console error, and any uncaught exception, fails the last step.
 */
const EXPECTED_CONSOLE = [
  // USERNAME_TAKEN (409), unknown user (404), wrong password (401).
  /Failed to load resource: the server responded with a status of (401|404|409)/,
  // While the server is stopped: fetches and the WebSocket fail at the network level.
  /Failed to load resource: net::ERR_(CONNECTION_REFUSED|EMPTY_RESPONSE|CONNECTION_RESET)/,
  /WebSocket connection to '.*' failed/,
  // While the server drains for shutdown it answers 503 to requests that arrive meanwhile.
  /Failed to load resource: the server responded with a status of 503/,
];

let stack: WebStack;
let browser: Browser;
let aliceContext: BrowserContext;
let alice: Page;
let bobProfileDir: string;
let bobContext: BrowserContext;
let bob: Page;
const consoleWatch = new ConsoleWatch();

async function openBob(): Promise<void> {
  bobContext = await launchProfile(bobProfileDir);
  bob = consoleWatch.watch(bobContext.pages()[0] ?? (await bobContext.newPage()), 'bob');
  await bob.goto(stack.baseUrl);
}

const safetyDigits = (page: Page) =>
  page.locator('.safety__digits').getAttribute('data-digits', { timeout: 15_000 });

beforeAll(async () => {
  await ensureWebBuild();
  stack = await startWebStack();
  browser = await launchChromium();
  bobProfileDir = mkdtempSync(join(tmpdir(), 'susurro-bob-profile-'));
}, 150_000);

afterAll(async () => {
  await bobContext?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await stack?.stop();
  if (bobProfileDir) rmSync(bobProfileDir, { recursive: true, force: true });
});

describe(`web client in Chromium (${ALICE}, ${BOB})`, () => {
  it('serves the production build (no development React)', () => {
    const assets = join(WEB_DIST, 'assets');
    const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts)
      expect(readFileSync(join(assets, f), 'utf8'), f).not.toContain('React DevTools');
  });

  it(
    'registers two users, with validation and server errors in words',
    async () => {
      aliceContext = await newContext(browser, DESKTOP);
      alice = consoleWatch.watch(await aliceContext.newPage(), 'alice');
      await alice.goto(stack.baseUrl);
      expect(await alice.title()).toBe('Susurro');

      // Client-side checks name the field and say what is wrong.
      await alice.getByRole('button', { name: 'Create account' }).click();
      await alice.getByText('Enter a username.').waitFor();
      await alice.getByLabel('Username').fill('Al');
      await alice.getByLabel('Password', { exact: true }).fill('short');
      await alice.getByLabel('Repeat password').fill('shorter');
      await alice.getByRole('button', { name: 'Create account' }).click();
      await alice.getByText('Usernames have at least 3 characters.').waitFor();
      await alice.getByText('Passwords need at least 8 characters.').waitFor();
      await alice.getByText('The passwords do not match.').waitFor();
      expect(await alice.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');

      await fillRegistration(alice, ALICE, PASSWORD);
      await waitConnected(alice);

      // Bob first tries Alice's name: the server's USERNAME_TAKEN, in words, at the field.
      await openBob();
      await fillRegistration(bob, ALICE, PASSWORD);
      await bob.getByText('That username is already taken. Try another one.').waitFor();
      await screenshot(bob, '01-register-errors');
      await fillRegistration(bob, BOB, PASSWORD);
      await waitConnected(bob);
    },
    STEP_MS,
  );

  it(
    'exchanges messages both ways in real time, with toasts, badges and the title',
    async () => {
      // An unknown user is reported as such, before any message is written.
      await alice.getByLabel('Username to chat with').fill(`nobody_${suffix}`);
      await alice.getByRole('button', { name: 'Chat', exact: true }).click();
      await alice.getByText('There is no user with that name.').waitFor();

      await startChat(alice, BOB);
      await typeAndSend(alice, BOB, 'Hi Bob! Is this thing encrypted?');

      // Bob is on his conversation list: a toast, an unread badge and the tab title.
      await bob.locator('.toast').filter({ hasText: 'Hi Bob!' }).waitFor();
      await bob.locator(`a.convo[data-peer="${ALICE}"] .badge`).filter({ hasText: '1' }).waitFor();
      await bob.waitForFunction(() => document.title === '(1) Susurro');
      await screenshot(bob, '02-conversation-list-phone');

      await openChat(bob, ALICE);
      await message(bob, 'Hi Bob!').waitFor();
      await bob.waitForFunction(() => document.title === 'Susurro');
      await typeAndSend(bob, ALICE, 'End to end, yes. The server only sees ciphertext.');

      await message(alice, 'The server only sees ciphertext.').waitFor();
      await waitStatus(alice, 'Hi Bob!', 'delivered');
      await waitStatus(bob, 'The server only sees ciphertext.', 'delivered');
      await typeAndSend(alice, BOB, 'Great, let us compare safety numbers.');
      await message(bob, 'compare safety numbers').waitFor();
      await screenshot(alice, '03-conversation-desktop');
      await screenshot(bob, '04-conversation-phone');
    },
    STEP_MS,
  );

  it(
    'raises a system notification and counts unread in the title while the tab is hidden',
    async () => {
      await bob.getByRole('link', { name: '← Chats' }).click();
      // Headless Chromium never hides a tab, so play the browser: report the page hidden and
      // record notifications instead of drawing them (permission granted).
      await bob.evaluate(() => {
        const shown: Array<{ title: string; body: string | undefined }> = [];
        (window as unknown as { shown: typeof shown }).shown = shown;
        class RecordingNotification {
          static readonly permission = 'granted';
          onclick: (() => void) | null = null;
          constructor(title: string, options?: NotificationOptions) {
            shown.push({ title, body: options?.body });
          }
          close() {}
        }
        Object.defineProperty(window, 'Notification', { value: RecordingNotification });
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      });
      await typeAndSend(alice, BOB, 'Are you there?');
      await bob.waitForFunction(
        () => (window as unknown as { shown: unknown[] }).shown.length === 1,
      );
      const shown = await bob.evaluate(() => (window as unknown as { shown: unknown[] }).shown);
      expect(shown).toEqual([{ title: `Message from ${ALICE}`, body: 'Are you there?' }]);
      await bob.waitForFunction(() => document.title === '(1) Susurro');

      // Back in view: opening the conversation (by keyboard) clears the count.
      await bob.evaluate(() => {
        delete (document as { visibilityState?: unknown }).visibilityState;
        document.dispatchEvent(new Event('visibilitychange'));
      });
      const row = bob.locator(`a.convo[data-peer="${ALICE}"]`);
      await row.focus();
      await row.press('Enter');
      await bob.getByRole('heading', { name: ALICE, exact: true }).waitFor();
      await bob.waitForFunction(() => document.title === 'Susurro');
    },
    STEP_MS,
  );

  it(
    'shows the same 60-digit safety number and a QR code on both sides; verify works',
    async () => {
      await alice.getByRole('link', { name: 'Safety number', exact: true }).click();
      await bob.getByRole('link', { name: 'Safety number', exact: true }).click();
      const [a, b] = await Promise.all([safetyDigits(alice), safetyDigits(bob)]);
      expect(a).toMatch(/^\d{60}$/);
      expect(a).toBe(b);
      await alice.getByRole('img', { name: /QR code of your safety number/ }).waitFor();

      await alice.getByRole('button', { name: 'Mark as verified' }).click();
      await alice.getByText(`✓ You verified ${BOB}`).waitFor();
      await screenshot(bob, '05-safety-number-phone');
      await alice.getByRole('link', { name: `← ${BOB}` }).click();
      await alice
        .locator('.conversation__header .tag--ok')
        .filter({ hasText: 'Verified' })
        .waitFor();
      await bob.getByRole('link', { name: `← ${ALICE}` }).click();
    },
    STEP_MS,
  );

  it(
    'keeps the login, history and sessions across a reload',
    async () => {
      await alice.reload();
      await waitConnected(alice);
      await alice.getByRole('heading', { name: BOB, exact: true }).waitFor();
      await message(alice, 'Hi Bob!').waitFor();
      await waitStatus(alice, 'The server only sees ciphertext.', 'received');
      await alice
        .locator('.conversation__header .tag--ok')
        .filter({ hasText: 'Verified' })
        .waitFor();

      // The ratchet picks up where it was: both directions still decrypt.
      await typeAndSend(alice, BOB, 'Reloaded and still here.');
      await message(bob, 'Reloaded and still here.').waitFor();
      await typeAndSend(bob, ALICE, 'Welcome back.');
      await message(alice, 'Welcome back.').waitFor();
    },
    STEP_MS,
  );

  it(
    'keeps keys and messages encrypted at rest under a non-extractable browser key',
    async () => {
      const atRest = await alice.evaluate(async () => {
        const done = <T>(r: IDBRequest<T>) =>
          new Promise<T>((resolve, reject) => {
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => reject(r.error ?? new Error('idb'));
          });
        const db = await done(indexedDB.open('susurro'));
        const tx = db.transaction(['kv', 'device'], 'readonly');
        const names = (await done(tx.objectStore('kv').getAllKeys())).map(String);
        const values = (await done(tx.objectStore('kv').getAll())) as Uint8Array[];
        const key = (await done(tx.objectStore('device').get('wrapping-key'))) as CryptoKey;
        db.close();
        const stored = values.map((v) => new TextDecoder('latin1').decode(v)).join('\n');
        const exportable = await crypto.subtle.exportKey('raw', key).then(
          () => true,
          () => false,
        );
        return {
          names,
          leaks: ['Hi Bob!', 'ciphertext', 'privateKey', 'accessToken'].filter((s) =>
            stored.includes(s),
          ),
          key: { algorithm: key.algorithm.name, extractable: key.extractable, exportable },
        };
      });
      expect(atRest.names).toEqual(expect.arrayContaining(['identity', 'account', '!vault']));
      expect(atRest.names.some((n) => n.startsWith(`msg:${BOB}:`))).toBe(true);
      expect(atRest.leaks).toEqual([]);
      expect(atRest.key).toEqual({ algorithm: 'AES-GCM', extractable: false, exportable: false });
    },
    STEP_MS,
  );

  it(
    'delivers what was sent while the recipient had closed the browser',
    async () => {
      await bob.goto(`${stack.baseUrl}/`);
      await waitConnected(bob);
      await bobContext.close();

      await typeAndSend(alice, BOB, 'Offline message one.');
      await typeAndSend(alice, BOB, 'Offline message two.');
      await waitStatus(alice, 'Offline message one.', 'sent');
      await waitStatus(alice, 'Offline message two.', 'sent');

      await openBob();
      await waitConnected(bob); // still logged in after a browser restart
      await bob.locator(`a.convo[data-peer="${ALICE}"] .badge`).filter({ hasText: '2' }).waitFor();
      await openChat(bob, ALICE);
      await message(bob, 'Offline message one.').waitFor();
      await message(bob, 'Offline message two.').waitFor();
      await message(bob, 'Hi Bob!').waitFor(); // older history is still there
      await waitStatus(alice, 'Offline message two.', 'delivered');
    },
    STEP_MS,
  );

  it(
    'queues messages while the server is unreachable and sends them on reconnect',
    async () => {
      await stack.stopServer();
      await alice.locator('[data-link="reconnecting"]').waitFor();
      await typeAndSend(alice, BOB, 'Written while the server was down.');
      await waitStatus(alice, 'Written while the server was down.', 'queued');
      await screenshot(alice, '06-queued-while-reconnecting');

      await stack.startServer();
      // Don't wait out the backoff: the banner's button reconnects at once.
      await retryNow(alice);
      await waitConnected(alice);
      await message(bob, 'Written while the server was down.').waitFor({ timeout: 30_000 });
      await waitStatus(alice, 'Written while the server was down.', 'delivered');
    },
    STEP_MS,
  );

  it(
    "warns when a contact's identity key changes, holds messages, and accepts the new key",
    async () => {
      const before = await (async () => {
        await alice.getByRole('link', { name: 'Safety number', exact: true }).click();
        const digits = await safetyDigits(alice);
        await alice.getByRole('link', { name: `← ${BOB}` }).click();
        return digits;
      })();

      // Bob logs in on a new install: a new device with a new identity key.
      const phoneContext = await newContext(browser);
      const phone = consoleWatch.watch(await phoneContext.newPage(), 'bob-new-phone');
      try {
        await phone.goto(stack.baseUrl);
        await phone.getByRole('button', { name: 'Log in' }).click();
        await logIn(phone, BOB, PASSWORD);
        await startChat(phone, ALICE);
        await typeAndSend(phone, ALICE, 'New phone, same Bob.');
        await waitStatus(phone, 'New phone, same Bob.', 'sent');

        // Alice is told, the conversation says so, and her reply waits.
        await alice
          .locator('.toast--warning')
          .filter({ hasText: 'safety number has changed' })
          .waitFor();
        await message(alice, 'New phone, same Bob.').waitFor();
        const banner = alice
          .getByRole('alert')
          .filter({ hasText: `${BOB}'s safety number has changed.` });
        await banner.waitFor();
        expect(await alice.locator('.conversation__header .tag--ok').count()).toBe(0);
        await typeAndSend(alice, BOB, 'Is that really you?');
        await waitStatus(alice, 'Is that really you?', 'blocked');
        await screenshot(alice, '07-identity-changed-warning');

        // The new number differs from the verified one; accepting releases the message.
        await alice.getByRole('link', { name: 'Review safety number' }).click();
        const after = await safetyDigits(alice);
        expect(after).not.toBe(before);
        await alice.getByRole('button', { name: 'Accept new safety number' }).click();
        await alice.getByRole('button', { name: 'Mark as verified' }).waitFor();
        await phone.getByRole('link', { name: 'Safety number', exact: true }).click();
        expect(await safetyDigits(phone)).toBe(after);
        await alice.getByRole('link', { name: `← ${BOB}` }).click();
        await waitStatus(alice, 'Is that really you?', 'delivered');
        await phone.getByRole('link', { name: `← ${ALICE}` }).click();
        await message(phone, 'Is that really you?').waitFor();
        expect(await banner.count()).toBe(0);
      } finally {
        await phoneContext.close();
      }
    },
    STEP_MS,
  );

  it(
    'runs in one tab at a time, and moves to another tab when asked',
    async () => {
      const second = consoleWatch.watch(await aliceContext.newPage(), 'alice-tab-2');
      try {
        await second.goto(`${stack.baseUrl}/chat/${BOB}`);
        const elsewhere = { name: 'Susurro is open in another tab' };
        await second.getByRole('heading', elsewhere).waitFor();
        await second.getByRole('button', { name: 'Use Susurro in this tab' }).click();
        await waitConnected(second);
        await message(second, 'Is that really you?').waitFor();
        await alice.getByRole('heading', elsewhere).waitFor();

        // Reloading the active tab keeps it active; the waiting one stays waiting.
        await second.reload();
        await waitConnected(second);
        expect(await alice.getByRole('heading', elsewhere).count()).toBe(1);
      } finally {
        await second.close();
      }
      await alice.getByRole('button', { name: 'Use Susurro in this tab' }).click();
      await waitConnected(alice);
    },
    STEP_MS,
  );

  it('printed no unexpected console errors and threw no uncaught exceptions', () => {
    // Everything the browsers printed as errors, expected or not, kept for whoever debugs.
    writeFileSync(
      join(SCREENSHOT_DIR, '..', 'console-errors.json'),
      JSON.stringify(consoleWatch.problems, null, 2),
    );
    expect(consoleWatch.unexpected(EXPECTED_CONSOLE)).toEqual([]);
  });
});
