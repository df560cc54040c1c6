import type { Migration } from './migration.ts';

// STRICT tables: SQLite rejects a value of the wrong type instead of silently storing it.
export const migration0001: Migration = {
  version: 1,
  name: 'accounts',
  sql: `
    CREATE TABLE accounts (
      account_id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE devices (
      account_id INTEGER NOT NULL REFERENCES accounts (account_id),
      device_id INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, device_id)
    ) STRICT;

    -- Tokens and tickets are stored only as SHA-256 hashes: a leaked database grants nothing.
    CREATE TABLE sessions (
      token_hash BLOB PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES accounts (account_id),
      device_id INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);

    CREATE TABLE ws_tickets (
      ticket_hash BLOB PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES accounts (account_id),
      device_id INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
};
