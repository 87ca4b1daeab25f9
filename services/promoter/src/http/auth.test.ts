import { describe, expect, it } from 'vitest';
import { FailedAuthLimiter } from './auth.js';

describe('FailedAuthLimiter', () => {
  const limiter = (limit: number) => {
    let now = 0;
    const failures = new FailedAuthLimiter(limit, 60_000, () => now);
    return { failures, at: (ms: number) => (now = ms) };
  };
  const refused = (failures: FailedAuthLimiter, address: string) => {
    try {
      failures.refuseIfExceeded(address);
      return false;
    } catch {
      return true;
    }
  };

  it('refuses an address at the limit until its window ends, and no other address', () => {
    const { failures, at } = limiter(3);
    for (let i = 0; i < 3; i++) failures.record('10.0.0.1');
    expect(refused(failures, '10.0.0.1')).toBe(true);
    expect(refused(failures, '10.0.0.2')).toBe(false);
    at(59_999);
    expect(refused(failures, '10.0.0.1')).toBe(true);
    at(60_000);
    expect(refused(failures, '10.0.0.1')).toBe(false);
  });

  it('starts a new window for an address whose window ended, counting from one', () => {
    const { failures, at } = limiter(2);
    failures.record('a');
    failures.record('a');
    at(60_000);
    failures.record('a');
    expect(refused(failures, 'a')).toBe(false);
    failures.record('a');
    expect(refused(failures, 'a')).toBe(true);
  });

  it('forgets the window that ends first when full, not one that was renewed', () => {
    const { failures, at } = limiter(1);
    failures.record('renewed');
    at(1);
    for (let i = 0; i < 9_999; i++) failures.record(`filler-${i}`); // 10,000 addresses: full
    at(60_000); // 'renewed' ended: its new window ends last
    failures.record('renewed');
    failures.record('newcomer'); // full of live windows: the oldest filler goes
    expect(refused(failures, 'renewed')).toBe(true);
    expect(refused(failures, 'newcomer')).toBe(true);
    expect(refused(failures, 'filler-0')).toBe(false);
    expect(refused(failures, 'filler-1')).toBe(true);
  });
});
