// @ts-check
/**
 * Lists the mutants a Stryker run left alive (Survived, NoCoverage) from reports/mutation/mutation.json, with
 * each module's score, so tests can be written against them: `node test/mutation/survivors.mjs [file-filter]`
 * (MUTATION_RUN=<name> reads reports/mutation/<name>.json, as stryker.unit.config.mjs writes it).
 * Score = killed / (killed + survived + no coverage), the figure TESTING.md records (timeouts count as killed).
 */
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(new URL(`../../reports/mutation/${process.env.MUTATION_RUN ?? 'mutation'}.json`, import.meta.url), 'utf8'));
const filter = process.argv[2] ?? '';
for (const [file, { mutants }] of Object.entries(report.files)) {
  if (!file.includes(filter)) continue;
  const count = (/** @type {string[]} */ ...statuses) => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count('Killed', 'Timeout');
  const survived = count('Survived');
  const uncovered = count('NoCoverage');
  const score = (100 * killed) / (killed + survived + uncovered || 1);
  console.log(`${file}: ${score.toFixed(1)}% (killed ${killed}, survived ${survived}, no coverage ${uncovered})`);
  for (const m of mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')) {
    const replacement = String(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100);
    console.log(`  ${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${replacement}`);
  }
}
