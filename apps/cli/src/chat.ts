/**
 * Interactive chat (RF04 in a terminal): incoming messages appear as they arrive, with sender
 * and time; status lines report the connection and identity warnings.
 */
import { clearLine, createInterface, cursorTo } from 'node:readline';
import type { Messenger } from '@susurro/client';
import { formatSafetyNumber } from '@susurro/protocol';
import { describeError, formatMessage, inHistory } from './format.ts';
import { EXIT } from './exit-codes.ts';
import { CliOutbox } from './outbox.ts';
import { ask, readPassword } from './prompt.ts';

const COMMANDS = `Commands: /to <user> switch contact · /history · /safety · /verify · /accept · /whoami · /quit`;

async function ensureAccount(m: Messenger, serverUrl: string): Promise<void> {
  if (m.isLoggedIn) return;
  process.stderr.write(`No account on this device for ${serverUrl}.\n`);
  for (;;) {
    const choice = (await ask('(r)egister a new account or (l)og in? ')).trim().toLowerCase();
    if (choice !== 'r' && choice !== 'l') continue;
    const username = (await ask('Username: ')).trim();
    const password = await readPassword();
    try {
      if (choice === 'r') await m.register(username, password);
      else await m.login(username, password);
      return;
    } catch (e) {
      process.stderr.write(`${describeError(e)}\n`);
    }
  }
}

export async function runChat(
  m: Messenger,
  initialPeer: string | undefined,
  serverUrl: string,
): Promise<number> {
  await ensureAccount(m, serverUrl);
  let peer = initialPeer?.trim().toLowerCase();
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: Boolean(process.stdin.isTTY),
  });
  const setPrompt = () => rl.setPrompt(peer ? `${m.username} → ${peer}> ` : `${m.username}> `);
  const show = (line: string) => {
    if (process.stdout.isTTY) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
    process.stdout.write(line + '\n');
    rl.prompt(true);
  };

  m.on('message', (r) => show(formatMessage(r)));
  m.on('delivered', (from, ids) => show(`  ✓ delivered to ${from} (${ids.length})`));
  m.on('connection-state', (state, detail) =>
    show(`· ${state}${detail?.reason ? ` (${detail.reason})` : ''}`),
  );
  m.on('identity-changed', (c) =>
    show(
      `⚠ The safety number with ${c.username} changed. Compare it (/safety), then /accept to keep talking.`,
    ),
  );
  m.on('error', (e) => show(`! ${describeError(e)}`));

  // What is typed goes through the outbox: while the connection is down it waits (encrypted,
  // across restarts) and goes out, in order, once it is back.
  const box = await CliOutbox.open(m, {
    canSend: () => m.connectionState === 'connected',
    retry: true,
    failed: (entry, error) => show(`! not sent to ${entry.peer}: ${describeError(error)}`),
    blocked: (who) =>
      show(`⚠ Held for ${who}: their safety number changed. /to ${who}, /safety, then /accept.`),
    error: (e) => show(`! outbox: ${describeError(e)}`),
  });
  m.on('connection-state', (state) => {
    if (state === 'connected') void box.outbox.flush();
  });

  show(`Logged in as ${m.username} on ${serverUrl}. ${COMMANDS}`);
  if (box.outbox.entries.length > 0)
    show(`${box.outbox.entries.length} message(s) in the outbox go out once connected.`);
  if (!peer) show('Pick a contact with /to <username>.');
  setPrompt();
  m.connect();
  rl.prompt();

  const handle = async (line: string): Promise<boolean> => {
    const text = line.trim();
    if (!text) return true;
    if (!text.startsWith('/')) {
      if (!peer) {
        show('No contact yet: /to <username>');
        return true;
      }
      await box.outbox.enqueue(peer, text);
      if (m.connectionState !== 'connected') show('· queued: it goes out once connected');
      return true;
    }
    const [cmd, ...rest] = text.split(/\s+/);
    const needPeer = () => {
      if (!peer) throw new Error('pick a contact first: /to <username>');
      return peer;
    };
    switch (cmd) {
      case '/quit':
      case '/exit':
        return false;
      case '/to':
        peer = rest[0]?.toLowerCase();
        setPrompt();
        if (peer)
          for (const r of (await m.history(peer)).filter(inHistory).slice(-10))
            show(formatMessage(r));
        break;
      case '/history':
        for (const r of (await m.history(needPeer())).filter(inHistory)) show(formatMessage(r));
        break;
      case '/safety': {
        const n = await m.safetyNumber(needPeer());
        show(
          `Safety number with ${n.peer}${n.verified ? ' (verified)' : ''}:\n  ${formatSafetyNumber(n.displayable)}`,
        );
        break;
      }
      case '/verify':
        await m.markVerified(needPeer());
        show(`${peer} marked verified.`);
        break;
      case '/accept':
        await m.acceptIdentity(needPeer());
        show(`Accepted ${peer}'s new identity key.`);
        await box.outbox.unblock(needPeer());
        break;
      case '/whoami':
        show(`${m.username} on ${serverUrl}, identity key ${await m.identityKey()}`);
        break;
      default:
        show(COMMANDS);
    }
    return true;
  };

  for await (const line of rl) {
    try {
      if (!(await handle(line))) break;
    } catch (e) {
      show(`! ${describeError(e)}`);
    }
    rl.prompt();
  }
  rl.close();
  // A message being posted right now finishes (or stays queued) before the store closes.
  await box.outbox.idle();
  m.disconnect();
  return EXIT.OK;
}
