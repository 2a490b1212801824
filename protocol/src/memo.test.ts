import { describe, expect, it } from 'vitest';
import { memoPerOwner } from './memo.ts';

describe('memoPerOwner', () => {
  it('computes once per owner and key, keeps owners apart, and forgets past the bound', () => {
    const memo = memoPerOwner<object, string>(2);
    const a = {};
    const b = {};
    let calls = 0;
    const get = (owner: object, key: string) => memo(owner, key, () => `${++calls}:${key}`);
    expect(get(a, 'x')).toBe('1:x');
    expect(get(a, 'x')).toBe('1:x');
    expect(get(b, 'x')).toBe('2:x'); // another owner, its own answer
    expect(get(a, 'y')).toBe('3:y');
    expect(get(a, 'z')).toBe('4:z'); // a held 2: forgotten and refilled
    expect(get(a, 'x')).toBe('5:x');
    expect(get(b, 'x')).toBe('2:x');
  });
});
