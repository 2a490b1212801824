import { describe, expect, it } from 'vitest';
import { MemorySeenIndex } from './seen-index.ts';

describe('MemorySeenIndex', () => {
  it('says new once per id, forgets on request, and drops the oldest ids past its bound', async () => {
    const seen = new MemorySeenIndex(3);
    expect([await seen.markSeen('a'), await seen.markSeen('a'), seen.markSeenSync('b')]).toEqual([true, false, true]);
    await seen.forget(['a']);
    expect(seen.markSeenSync('a')).toBe(true); // a forgotten id (its scan was not made durable) is new again
    seen.markSeenSync('c');
    seen.markSeenSync('d'); // over the bound of 3: the oldest (b) goes
    expect(seen.size()).toBe(3);
    expect([seen.markSeenSync('b'), seen.markSeenSync('d')]).toEqual([true, false]);
  });
});
