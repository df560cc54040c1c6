import { MongoServerError } from 'mongodb';

/** Server error code for a unique-index violation (MongoDB and DocumentDB alike). */
const DUPLICATE_KEY = 11000;

export function isDuplicateKey(e: unknown): boolean {
  return e instanceof MongoServerError && e.code === DUPLICATE_KEY;
}
