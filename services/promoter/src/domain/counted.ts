/**
 * A count with its noun in the right number, for reasons and messages: `1 check`, `3 checks`. Reasons
 * are read by people (events, notifications, the CLI), and "1 checks" reads as a bug.
 *
 * @example counted(1, 'check') // '1 check'; counted(2, 'query', 'queries') // '2 queries'
 */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
