/** Exit codes scripts can rely on (documented in `susurro --help`). */
import { isClientError } from '@susurro/client';
import { isProtocolError } from '@susurro/protocol';

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  AUTH: 3,
  UNTRUSTED_IDENTITY: 4,
  UNREACHABLE: 5,
  NOT_FOUND: 6,
} as const;

export function exitCodeFor(e: unknown): number {
  if (isClientError(e)) {
    if (e.code === 'UNTRUSTED_IDENTITY') return EXIT.UNTRUSTED_IDENTITY;
    if (e.code === 'NETWORK_ERROR') return EXIT.UNREACHABLE;
    if (
      [
        'NOT_LOGGED_IN',
        'NOT_REGISTERED',
        'INVALID_CREDENTIALS',
        'UNAUTHORIZED',
        'WRONG_PASSPHRASE',
      ].includes(e.code)
    )
      return EXIT.AUTH;
    if (e.code === 'NOT_FOUND' || e.code === 'USER_NOT_FOUND' || e.code === 'NO_DEVICES')
      return EXIT.NOT_FOUND;
    if (e.code === 'INVALID_ARGUMENT') return EXIT.USAGE;
  }
  if (isProtocolError(e)) return EXIT.FAILURE;
  return EXIT.FAILURE;
}
