import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeUsername as serverNormalize } from '../../../packages/server/src/accounts/username.ts';
import { passwordProblem, usernameProblem, normalizeUsername } from '../src/app/usernames.ts';

const serverAccepts = (raw: string) => {
  try {
    serverNormalize(raw);
    return true;
  } catch {
    return false;
  }
};

describe('form checks agree with the server', () => {
  it.each([
    ['alice', undefined],
    ['Alice_01', undefined],
    ['ａｌｉｃｅ', undefined], // full-width folds to ascii under NFKC, like the server
    ['', 'Enter a username.'],
    ['al', 'Usernames have at least 3 characters.'],
    ['a'.repeat(33), 'Usernames have at most 32 characters.'],
    ['al ice', 'Use only letters, digits and underscores.'],
    ['alice!', 'Use only letters, digits and underscores.'],
  ])('%j → %s', (raw, problem) => {
    expect(usernameProblem(raw)).toBe(problem);
    expect(serverAccepts(raw)).toBe(problem === undefined);
  });

  it('accepts exactly what the server accepts (property)', () => {
    const chars = fc.constantFrom(...'abcXYZ019_-. !éＡ１ß'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 40 }), (raw) => {
        // The form trims surrounding spaces before sending; compare on what is sent.
        const sent = normalizeUsername(raw);
        expect(usernameProblem(raw) === undefined).toBe(serverAccepts(sent));
      }),
      { numRuns: 500 },
    );
  });

  it('asks for 8-character passwords like the server', () => {
    expect(passwordProblem('')).toBe('Enter a password.');
    expect(passwordProblem('1234567')).toMatch(/at least 8/);
    expect(passwordProblem('12345678')).toBeUndefined();
  });
});
