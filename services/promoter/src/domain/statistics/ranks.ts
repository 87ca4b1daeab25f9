/** Ranking with ties, as rank tests need it. Pure, no I/O. */

export interface Ranking {
  /** 1-based ranks in the input's order; tied values share the mean of the ranks they span. */
  readonly ranks: readonly number[];
  /** The size of every group of equal values (1 for untied values). */
  readonly tieGroupSizes: readonly number[];
}

/**
 * Average ranks ("fractional ranking"), the way SciPy's `rankdata(method='average')` and R's `rank()` do.
 *
 * @example
 * averageRanks([10, 20, 20, 5]).ranks; // [2, 3.5, 3.5, 1]
 */
export function averageRanks(values: readonly number[]): Ranking {
  const order = values.map((_, index) => index).sort((a, b) => compare(values[a]!, values[b]!));
  const ranks = new Array<number>(values.length);
  const tieGroupSizes: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 hold equal values; 1-based ranks start+1..end average to this.
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]!] = rank;
    tieGroupSizes.push(end - start);
    start = end;
  }
  return { ranks, tieGroupSizes };
}

function compare(a: number, b: number): number {
  // Subtraction would give NaN for Infinity - Infinity and break the sort.
  return a < b ? -1 : a > b ? 1 : 0;
}
