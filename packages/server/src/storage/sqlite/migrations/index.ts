import { migration0001 } from './0001-accounts.ts';
import { migration0002 } from './0002-key-directory.ts';
import { migration0003 } from './0003-message-queue.ts';
import { migration0004 } from './0004-message-sender-name.ts';
import { migration0005 } from './0005-dedupe-trigger.ts';
import { migration0006 } from './0006-dedupe-key-order.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

/** Append only: a released migration is never edited, a change is a new file. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];
