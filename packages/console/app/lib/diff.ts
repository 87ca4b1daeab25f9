/** A line diff (longest common subsequence) for comparing two policy versions. */

export interface DiffLine {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
}

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // lcs[i][j]: length of the LCS of a[i..] and b[j..]. Policies are short (tens of lines).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) lines.push({ kind: 'removed', text: a[i++]! });
    else lines.push({ kind: 'added', text: b[j++]! });
  }
  while (i < a.length) lines.push({ kind: 'removed', text: a[i++]! });
  while (j < b.length) lines.push({ kind: 'added', text: b[j++]! });
  return lines;
}

/**
 * Which version to diff `selected` against: `requested` when it is another listed version, else the
 * newest one older than `selected`, else the oldest newer one; null when there is no other version (a
 * version is never diffed with itself).
 */
export function compareWith(versions: readonly number[], selected: number, requested: number | undefined): number | null {
  const others = versions.filter((v) => v !== selected);
  if (requested !== undefined && others.includes(requested)) return requested;
  const older = others.filter((v) => v < selected);
  if (older.length > 0) return Math.max(...older);
  return others.length > 0 ? Math.min(...others) : null;
}
