import type { Migration } from './migration.ts';

// The queue read is the hottest query (once per delivery wake-up). Storing the sender's name
// in the row drops its join with `accounts`; usernames never change, so the copy cannot go
// stale. Rows queued before this migration get it backfilled here.
export const migration0004: Migration = {
  version: 4,
  name: 'message-sender-name',
  sql: `
    ALTER TABLE messages ADD COLUMN sender_username TEXT;
    UPDATE messages SET sender_username =
      (SELECT username FROM accounts WHERE account_id = messages.sender_account_id);
  `,
};
