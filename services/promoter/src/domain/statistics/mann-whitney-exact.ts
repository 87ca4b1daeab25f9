/**
 * The exact null distribution of the Mann-Whitney U statistic for samples without ties. Pure, no I/O.
 *
 * Recurrence (Mann & Whitney 1947): of the n1 + n2 observations, the largest belongs to the first sample
 * with probability n1/(n1+n2), and then it beats all n2 values of the second sample, so
 *
 *   P[n1,n2](U = u) = n1/(n1+n2) * P[n1-1,n2](U = u - n2) + n2/(n1+n2) * P[n1,n2-1](U = u).
 *
 * Working with probabilities rather than counts keeps every term positive and finite (counts overflow
 * 2^53 quickly), so there is no cancellation however large the samples.
 */

/**
 * Above this many inner-loop steps the exact distribution is refused: the normal approximation is
 * excellent long before that (both samples large), and the caller can ask for it.
 */
export const MAX_EXACT_WORK = 50_000_000;

/** The number of inner-loop steps `exactUpperTail` needs for these sample sizes. */
export function exactWork(n1: number, n2: number): number {
  const small = Math.min(n1, n2);
  const large = Math.max(n1, n2);
  return (small * small * large * large) / 4;
}

/**
 * P(U >= u) under the null hypothesis, where U counts the pairs (x, y) with x > y.
 * The distribution is symmetric in n1 and n2, so the smaller one drives the loop.
 *
 * @example
 * exactUpperTail(17, 5, 4); // 7/126 = 0.0556 (SciPy's males/females example, one side)
 */
export function exactUpperTail(u: number, n1: number, n2: number): number {
  if (!Number.isInteger(n1) || !Number.isInteger(n2) || n1 < 1 || n2 < 1) {
    throw new RangeError(`sample sizes must be positive integers, got ${n1} and ${n2}`);
  }
  const work = exactWork(n1, n2);
  if (work > MAX_EXACT_WORK) {
    throw new RangeError(
      `the exact Mann-Whitney distribution for n1=${n1}, n2=${n2} is too expensive; use the asymptotic method`,
    );
  }
  const pmf = exactDistribution(Math.min(n1, n2), Math.max(n1, n2));
  const from = Math.max(0, Math.ceil(u));
  let tail = 0;
  // Sum from the top: the small tail probabilities are what p-values need, so add them first.
  for (let k = pmf.length - 1; k >= from; k--) tail += pmf[k]!;
  return Math.min(1, tail);
}

/** pmf[u] = P(U = u) for sample sizes (m, n). */
function exactDistribution(m: number, n: number): Float64Array {
  // column[i] holds P[i, j](U = .) for the current j; iterating j outward needs only the previous column.
  let column: Float64Array[] = Array.from({ length: m + 1 }, () => Float64Array.of(1));
  for (let j = 1; j <= n; j++) {
    const next: Float64Array[] = [Float64Array.of(1)];
    for (let i = 1; i <= m; i++) {
      const fromSmallerI = next[i - 1]!; // P[i-1, j], length (i-1)*j + 1
      const fromSmallerJ = column[i]!; // P[i, j-1], length i*(j-1) + 1
      const out = new Float64Array(i * j + 1);
      const pFirst = i / (i + j);
      const pSecond = j / (i + j);
      for (let u = 0; u < out.length; u++) {
        const shifted = u - j;
        const a = shifted >= 0 && shifted < fromSmallerI.length ? fromSmallerI[shifted]! : 0;
        const b = u < fromSmallerJ.length ? fromSmallerJ[u]! : 0;
        out[u] = pFirst * a + pSecond * b;
      }
      next.push(out);
    }
    column = next;
  }
  return column[m]!;
}
