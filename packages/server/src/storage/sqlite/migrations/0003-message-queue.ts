import type { Migration } from './migration.ts';

export const migration0003: Migration = {
  version: 3,
  name: 'message-queue',
  sql: `
    -- AUTOINCREMENT: a server_id is never reused, so a stale ack can never hit a newer message.
    CREATE TABLE messages (
      server_id INTEGER PRIMARY KEY AUTOINCREMENT,
      recipient_account_id INTEGER NOT NULL,
      recipient_device_id INTEGER NOT NULL,
      sender_account_id INTEGER NOT NULL REFERENCES accounts (account_id),
      sender_device_id INTEGER NOT NULL,
      client_id TEXT NOT NULL,
      body BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      FOREIGN KEY (recipient_account_id, recipient_device_id)
        REFERENCES devices (account_id, device_id)
    ) STRICT;
    CREATE INDEX messages_by_recipient
      ON messages (recipient_account_id, recipient_device_id, server_id);

    -- Outlives the message itself (until the dedupe window passes) so a sender's late retry
    -- of an already-acked message is acked again rather than delivered twice.
    CREATE TABLE message_dedupe (
      recipient_account_id INTEGER NOT NULL,
      recipient_device_id INTEGER NOT NULL,
      sender_account_id INTEGER NOT NULL,
      sender_device_id INTEGER NOT NULL,
      client_id TEXT NOT NULL,
      server_id INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (
        recipient_account_id, recipient_device_id, sender_account_id, sender_device_id, client_id
      )
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX message_dedupe_by_age ON message_dedupe (created_at);
  `,
};
