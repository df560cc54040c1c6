import { describe, expect, it } from 'vitest';
import { chatPath, parseRoute, safetyPath } from '../src/app/router.ts';

describe('routes', () => {
  it('round-trips conversation and safety-number paths', () => {
    expect(parseRoute(chatPath('bob'))).toEqual({ name: 'chat', peer: 'bob' });
    expect(parseRoute(safetyPath('bob_2'))).toEqual({ name: 'safety', peer: 'bob_2' });
    expect(parseRoute('/chat/Bob/')).toEqual({ name: 'chat', peer: 'bob' });
  });

  it('sends anything else home', () => {
    for (const path of ['/', '/chat', '/chat/', '/chat/a/b', '/settings', '/chat/%E0%A4%A'])
      expect(parseRoute(path)).toEqual({ name: 'home' });
  });
});
