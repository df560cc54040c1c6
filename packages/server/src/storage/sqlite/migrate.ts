import type { Database } from 'better-sqlite3';
import type { Migration } from './migrations/index.ts';

/**
 * Brings the schema to the newest version, tracked in SQLite's `user_version`. Each step runs
 * in its own transaction with its version bump, so a crash mid-way leaves a consistent schema.
 * A database newer than this code is refused rather than half-understood.
 */
export function migrate(db: Database, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new Error(`database schema v${current} is newer than this server (v${latest})`);
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      // PRAGMA takes no parameters; the value is our own integer, not input.
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}
