import type { Migration } from './migration.ts';

// Each dedupe row dirtied a random page of a tree that holds a week of messages: with a group
// commit of a few dozen rows, that was one whole page written to the WAL (and checkpointed)
// per message, three quarters of the cost of a send. The key now starts with the client's
// message id: ids that start with their creation time (as Susurro's clients make them, see
// `newMessageId`) land at the right edge of the tree, so one commit's rows share a page or
// two. Same columns, same uniqueness; any id is still accepted (random ones just cost what
// every id cost before). The trigger of 0005 is recreated: dropping its target table would
// leave it pointing at nothing.
export const migration0006: Migration = {
  version: 6,
  name: 'dedupe-key-order',
  sql: `
    DROP TRIGGER messages_dedupe;
    CREATE TABLE message_dedupe_new (
      recipient_account_id INTEGER NOT NULL,
      recipient_device_id INTEGER NOT NULL,
      sender_account_id INTEGER NOT NULL,
      sender_device_id INTEGER NOT NULL,
      client_id TEXT NOT NULL,
      server_id INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (
        client_id, sender_account_id, sender_device_id, recipient_account_id, recipient_device_id
      )
    ) STRICT, WITHOUT ROWID;
    INSERT INTO message_dedupe_new SELECT recipient_account_id, recipient_device_id,
      sender_account_id, sender_device_id, client_id, server_id, created_at FROM message_dedupe;
    DROP TABLE message_dedupe;
    ALTER TABLE message_dedupe_new RENAME TO message_dedupe;
    CREATE INDEX message_dedupe_by_age ON message_dedupe (created_at);
    CREATE TRIGGER messages_dedupe AFTER INSERT ON messages
    BEGIN
      INSERT INTO message_dedupe (recipient_account_id, recipient_device_id, sender_account_id,
        sender_device_id, client_id, server_id, created_at)
      VALUES (NEW.recipient_account_id, NEW.recipient_device_id, NEW.sender_account_id,
        NEW.sender_device_id, NEW.client_id, NEW.server_id, NEW.created_at);
    END;
  `,
};
