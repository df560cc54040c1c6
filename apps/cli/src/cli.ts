/**
 * `susurro` — a terminal messenger over @susurro/client. Non-interactive commands for scripts
 * (with --json), and `chat` for people. Passwords come from a prompt or stdin, never argv.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientError, type Messenger } from '@susurro/client';
import { openNodeMessenger } from '@susurro/client/node';
import { formatSafetyNumber } from '@susurro/protocol';
import { runChat } from './chat.ts';
import { formatEntry, formatMessage, inHistory } from './format.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { CliOutbox, flushOutbox, sendThroughOutbox } from './outbox.ts';
import { readPassword, readStdinLine } from './prompt.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const defaultConfigDir = () =>
  join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'susurro');

export const HELP = `susurro — end-to-end encrypted messenger (terminal client)

Usage: susurro [options] <command> [arguments]

Commands:
  register <username>          create an account and this device's keys (password from prompt/stdin)
  login <username>             log in on this device (password from prompt/stdin)
  logout                       revoke this device's token
  send <username> <text…>      send a message ("-" reads the text from stdin); kept in the outbox
                               if the server cannot take it now
  receive                      fetch, decrypt and print pending messages, then exit
  outbox [clear [username]]    list messages waiting to be sent (or drop them)
  history [username]           print stored conversation history
  contacts                     list contacts and their trust state
  fingerprint                  print this device's public identity key
  safety-number <username>     print the 60-digit safety number with a contact
  verify <username>            mark a contact verified (after comparing safety numbers)
  accept <username>            accept a contact's changed identity key
  whoami                       print the account and server of this config directory
  chat [username]              interactive chat (also the default with no command on a TTY)

Options:
  --server <url>               chat server (env SUSURRO_SERVER, default ${DEFAULT_SERVER})
  --config <dir>               config directory (env SUSURRO_CONFIG, default ~/.config/susurro)
  --json                       machine-readable output
  -h, --help                   this help

The local store is encrypted with SUSURRO_PASSPHRASE if set, otherwise with a random key kept
in <config>/store.key (protects a copied database, not a copied directory).

A message the server cannot take (unreachable, busy, token expired) stays in the outbox, encrypted
with the store, and goes out with the next send, receive, login, accept or chat; one to a contact
whose identity changed goes out after accept. Messages refused for good are reported and dropped.

Exit codes: 0 ok · 1 failure · 2 usage · 3 not logged in / wrong password · 4 contact's identity
changed (run accept) · 5 server unreachable · 6 no such user or device
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function usage(message: string): never {
  throw Object.assign(
    new ClientError('INVALID_ARGUMENT', `${message}\nRun "susurro --help" for usage.`),
    { usage: true },
  );
}

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\nRun "susurro --help" for usage.`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [command = process.stdin.isTTY ? 'chat' : undefined, ...args] = positionals;
  if (values.help || command === 'help') {
    io.out(HELP);
    return EXIT.OK;
  }
  if (!command) {
    io.err(HELP);
    return EXIT.USAGE;
  }
  const serverUrl = values.server ?? process.env.SUSURRO_SERVER ?? DEFAULT_SERVER;
  const configDir = values.config ?? process.env.SUSURRO_CONFIG ?? defaultConfigDir();
  const json = values.json;
  const print = (human: string, data: unknown) => io.out(json ? JSON.stringify(data) : human);

  let messenger: Messenger | undefined;
  try {
    try {
      new URL(serverUrl);
    } catch {
      usage(`--server must be a URL like ${DEFAULT_SERVER}`);
    }
    const passphrase = process.env.SUSURRO_PASSPHRASE;
    messenger = await openNodeMessenger({
      configDir,
      serverUrl,
      ...(passphrase ? { passphrase } : {}),
    });
    const m = messenger;
    const arg = (i: number, name: string) => args[i] ?? usage(`${command}: missing <${name}>`);

    switch (command) {
      case 'register':
      case 'login': {
        const username = arg(0, 'username');
        const password = await readPassword();
        if (command === 'register') await m.register(username, password);
        else await m.login(username, password);
        print(
          `${command === 'register' ? 'Registered' : 'Logged in'} as ${m.username} on ${serverUrl}`,
          { username: m.username, server: serverUrl },
        );
        // What waited for a fresh token (UNAUTHORIZED) goes out now.
        if (command === 'login') await flushOutbox(m, io);
        break;
      }
      case 'logout':
        await m.logout();
        print('Logged out', { ok: true });
        break;
      case 'send': {
        const to = arg(0, 'username');
        const text = args[1] === '-' ? await readStdinLine() : args.slice(1).join(' ');
        if (!text) usage('send: missing <text>');
        if (!m.isLoggedIn) throw new ClientError('NOT_LOGGED_IN', 'log in first');
        const record = await sendThroughOutbox(m, to, text, io);
        print(`Sent to ${record.peer} (${record.id})`, record);
        break;
      }
      case 'receive': {
        const received = await m.receivePending();
        if (json) io.out(JSON.stringify(received));
        else if (!received.length) io.out('No new messages');
        else for (const r of received) io.out(formatMessage(r));
        await flushOutbox(m, io);
        break;
      }
      case 'outbox': {
        const box = await CliOutbox.open(m, {
          canSend: () => false,
          retry: false,
          failed: () => undefined,
          error: (e) => io.err(`error: ${(e as Error).message}`),
        });
        const entries = box.outbox.entries;
        if (args[0] === 'clear') {
          const who = args[1]?.trim().toLowerCase();
          const dropped = entries.filter((e) => who === undefined || e.peer === who);
          for (const e of dropped) await box.outbox.discard(e.localId);
          print(`Dropped ${dropped.length} message(s) from the outbox`, {
            dropped: dropped.length,
          });
        } else if (args[0] !== undefined) {
          usage(`outbox: unknown subcommand "${args[0]}"`);
        } else if (json) io.out(JSON.stringify(entries));
        else if (!entries.length) io.out('The outbox is empty');
        else for (const e of entries) io.out(formatEntry(e));
        break;
      }
      case 'history': {
        const records = (await m.history(args[0])).filter(inHistory);
        if (json) io.out(JSON.stringify(records));
        else for (const r of records) io.out(formatMessage(r));
        break;
      }
      case 'contacts': {
        const contacts = await m.contacts();
        if (json) io.out(JSON.stringify(contacts));
        else
          for (const c of contacts)
            io.out(
              `${c.username}${c.verified ? ' ✔ verified' : ''}${c.pendingKey ? ' ⚠ identity changed' : ''}`,
            );
        break;
      }
      case 'fingerprint':
        print(`Identity key of ${m.username ?? '(not logged in)'}: ${await m.identityKey()}`, {
          username: m.username,
          identityKey: await m.identityKey(),
        });
        break;
      case 'safety-number': {
        const n = await m.safetyNumber(arg(0, 'username'));
        print(
          `Safety number with ${n.peer}${n.verified ? ' (verified)' : ''}:\n${formatSafetyNumber(n.displayable)}`,
          {
            peer: n.peer,
            safetyNumber: n.displayable,
            verified: n.verified,
          },
        );
        break;
      }
      case 'verify': {
        const c = await m.markVerified(arg(0, 'username'));
        print(`${c.username} is now marked verified`, c);
        break;
      }
      case 'accept': {
        const c = await m.acceptIdentity(arg(0, 'username'));
        if (!c) throw new ClientError('NOT_FOUND', `no contact named ${args[0]}`);
        print(`Accepted the new identity key of ${c.username}; compare safety numbers again`, c);
        await flushOutbox(m, io, c.username);
        break;
      }
      case 'whoami':
        print(
          m.username
            ? `${m.username} on ${serverUrl}${m.isLoggedIn ? '' : ' (logged out)'}`
            : 'No account in this config directory',
          {
            username: m.username ?? null,
            server: serverUrl,
            loggedIn: m.isLoggedIn,
          },
        );
        break;
      case 'chat':
        return await runChat(m, args[0], serverUrl);
      default:
        usage(`unknown command "${command}"`);
    }
    return EXIT.OK;
  } catch (e) {
    const code = (e as { code?: string }).code;
    io.err(
      json
        ? JSON.stringify({ error: { code: code ?? 'ERROR', message: (e as Error).message } })
        : `error${code ? ` (${code})` : ''}: ${(e as Error).message}`,
    );
    return (e as { usage?: boolean }).usage ? EXIT.USAGE : exitCodeFor(e);
  } finally {
    await messenger?.close().catch(() => undefined);
  }
}
