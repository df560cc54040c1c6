import { CLIENT_ERROR_CODES, ClientError } from '@susurro/client';
import { ProtocolError } from '@susurro/protocol';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../packages/server/src/errors.ts';
import { describeError, wordsForCode } from '../src/app/error-words.ts';
import { WebClientError } from '../src/errors.ts';

const FALLBACK = wordsForCode(undefined);

describe('error codes in words', () => {
  // The server's catalogue and the SDK's list are the contract: a new code without words fails.
  it.each([...ERROR_CODES, ...CLIENT_ERROR_CODES])('%s has its own sentence', (code) => {
    const words = wordsForCode(code);
    expect(words).not.toBe(FALLBACK);
    expect(words).toMatch(/^[A-Z"'].*[.!?]$/);
  });

  it('maps errors by code, never by message text', () => {
    const taken = new ClientError('USERNAME_TAKEN', 'whatever the server said', {
      source: 'server',
    });
    expect(describeError(taken)).toBe('That username is already taken. Try another one.');
    expect(describeError(new ClientError('NETWORK_ERROR', 'fetch failed'))).toMatch(
      /reach the Susurro server/,
    );
  });

  it('treats an unknown 5xx as a busy server and anything else as a generic failure', () => {
    expect(describeError(new ClientError('HTTP_502', 'bad gateway', { source: 'server' }))).toBe(
      wordsForCode('SERVER_BUSY'),
    );
    expect(describeError(new ClientError('SOMETHING_NEW', 'x'))).toBe(FALLBACK);
    expect(describeError(new Error('plain'))).toBe(FALLBACK);
    expect(describeError('not even an error')).toBe(FALLBACK);
    expect(describeError(new ProtocolError('INVALID_KEY', 'bad key'))).toBe(FALLBACK);
  });

  it("prefers a web-client error's own sentence, and knows browser storage failures", () => {
    expect(describeError(new WebClientError('INVALID_USERNAME', 'Enter a username.'))).toBe(
      'Enter a username.',
    );
    expect(describeError(new WebClientError('SELF'))).toMatch(/That's you/);
    expect(describeError(new DOMException('full', 'QuotaExceededError'))).toBe(
      wordsForCode('STORAGE_FULL'),
    );
  });
});
