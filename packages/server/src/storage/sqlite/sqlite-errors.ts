import { StorageError } from '../types.ts';

/** SQLite constraint failures → the port's typed errors; anything else passes through. */
export function mapConstraint(e: unknown, what: string): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StorageError('CONFLICT', what, { cause: e });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StorageError('NOT_FOUND', what, { cause: e });
  }
  return e;
}
