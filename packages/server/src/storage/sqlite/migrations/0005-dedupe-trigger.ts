import type { Migration } from './migration.ts';

// The dedupe row is written by the insert of its message, inside SQLite: the send path makes
// one statement call instead of three (look up, insert message, insert dedupe row). A retry
// now shows up as the dedupe key's PRIMARY KEY conflict, which aborts the message insert with
// it (a statement is atomic with its triggers), and only then is the original id looked up.
export const migration0005: Migration = {
  version: 5,
  name: 'dedupe-trigger',
  sql: `
    CREATE TRIGGER messages_dedupe AFTER INSERT ON messages
    BEGIN
      INSERT INTO message_dedupe (recipient_account_id, recipient_device_id, sender_account_id,
        sender_device_id, client_id, server_id, created_at)
      VALUES (NEW.recipient_account_id, NEW.recipient_device_id, NEW.sender_account_id,
        NEW.sender_device_id, NEW.client_id, NEW.server_id, NEW.created_at);
    END;
  `,
};
