/** Descriptive statistics used by the canary judgement. Pure, no I/O. */

/**
 * The median; the mean of the two middle values for an even count. NaN for an empty sample.
 *
 * @example
 * median([3, 1, 2, 10]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return sortedMedian(Float64Array.from(values).sort());
}

/**
 * The arithmetic mean. NaN for an empty sample.
 *
 * @example
 * mean([1, 2, 6]); // 3
 */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The Hodges-Lehmann estimate of the location shift between two samples: the median of all n1*n2
 * pairwise differences x[i] - y[j]. Positive when x tends to be larger. It is the estimate R's
 * `wilcox.test(x, y, conf.int = TRUE)` reports as "difference in location", and the one Kayenta's
 * Mann-Whitney classifier compares against its bounds. Costs O(n1*n2 log(n1*n2)) time and n1*n2 doubles.
 *
 * @example
 * hodgesLehmannShift([5, 6, 7], [1, 2]); // 4.5
 */
export function hodgesLehmannShift(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) return Number.NaN;
  const differences = new Float64Array(x.length * y.length);
  let k = 0;
  for (const a of x) for (const b of y) differences[k++] = a - b;
  return sortedMedian(differences.sort());
}

function sortedMedian(sorted: Float64Array): number {
  const middle = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[middle]!;
  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}
