import { describe, expect, it } from 'vitest';
import { FeedCursor } from './feed-cursor.js';

const options = { holdMs: 1_000, maxMissing: 5 };

describe('FeedCursor', () => {
  const cases: ReadonlyArray<[string, { start: number; reads: readonly (readonly number[])[]; at: number; want: { after: number; missing: number[] } }]> = [
    ['contiguous ids leave nothing missing', { start: 0, reads: [[1, 2], [3]], at: 0, want: { after: 3, missing: [] } }],
    ['a skipped id is missing', { start: 0, reads: [[1, 3]], at: 0, want: { after: 3, missing: [2] } }],
    ['a late id arrives and is no longer missing', { start: 0, reads: [[1, 3], [2, 4]], at: 0, want: { after: 4, missing: [] } }],
    ['ids are taken in order whatever order the read gave', { start: 10, reads: [[13, 11]], at: 0, want: { after: 13, missing: [12] } }],
    // Taken as read (7 first), the jump to 7 would remember 2..6 and 3 would then fill one gap: [2, 4, 5, 6].
    ['a read out of order is taken in order before the jump limit applies', { start: 0, reads: [[7, 3]], at: 0, want: { after: 7, missing: [1, 2, 4, 5, 6] } }],
    ['a skipped id is forgotten after holdMs', { start: 0, reads: [[1, 3]], at: 1_000, want: { after: 3, missing: [] } }],
    ['a long jump keeps only the newest maxMissing ids', { start: 0, reads: [[100]], at: 0, want: { after: 100, missing: [95, 96, 97, 98, 99] } }],
    ['many jumps keep only the newest maxMissing ids', { start: 0, reads: [[2, 4, 6, 8, 10, 12, 14]], at: 0, want: { after: 14, missing: [5, 7, 9, 11, 13] } }],
    ['an id at or below the start is not new', { start: 5, reads: [[5, 6]], at: 0, want: { after: 6, missing: [] } }],
  ];

  it.each(cases)('%s', (_name, { start, reads, at, want }) => {
    const cursor = new FeedCursor(start, options);
    for (const ids of reads) cursor.advance(ids, 0);
    expect({ after: cursor.after, missing: cursor.missing(at) }).toEqual(want);
  });
});
