import type { Migration } from './migration.ts';

export const migration0002: Migration = {
  version: 2,
  name: 'key-directory',
  sql: `
    ALTER TABLE devices ADD COLUMN identity_key BLOB;
    ALTER TABLE devices ADD COLUMN identity_key_updated_at INTEGER;
    ALTER TABLE devices ADD COLUMN signed_prekey_id INTEGER;
    ALTER TABLE devices ADD COLUMN signed_prekey BLOB;
    ALTER TABLE devices ADD COLUMN signed_prekey_signature BLOB;

    CREATE TABLE one_time_prekeys (
      account_id INTEGER NOT NULL,
      device_id INTEGER NOT NULL,
      key_id INTEGER NOT NULL,
      public_key BLOB NOT NULL,
      PRIMARY KEY (account_id, device_id, key_id),
      FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, device_id)
    ) STRICT, WITHOUT ROWID;
  `,
};
