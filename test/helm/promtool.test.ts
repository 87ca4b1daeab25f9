/**
 * The chart's PrometheusRule, checked and unit-tested with the real promtool: the rule groups are taken
 * from the rendered template into a rules file next to copies of test/helm/promtool/*.test.yaml.
 * promtool is required (Debian package `prometheus`); without it these tests fail, they do not skip.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../fixtures/helm.js';
import { render, type K8sObject, type RenderOptions } from './chart.js';

const TESTS_DIR = join(repoRoot, 'test', 'helm', 'promtool');
const RULES_FILE = 'promoter-rules.yaml';
// Release "promoter" in namespace "promoter": the selector in the rules is {job="promoter",namespace="promoter"}.
const RULE_VALUES: RenderOptions = { values: ['monitoring.yaml'], showOnly: 'templates/prometheusrule.yaml' };

interface RunResult {
  readonly code: number;
  readonly output: string;
}

async function findPromtool(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'promtool');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    'promtool is not installed: the PrometheusRule tests need it. Install the Debian package "prometheus" ' +
      '(apt-get install -y prometheus), as CI does.',
  );
}

function run(command: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: 20_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: stdout + stderr });
    });
  });
}

interface RuleGroup {
  readonly name: string;
  readonly rules: readonly { readonly alert?: string; readonly record?: string }[];
}

async function writeRules(dir: string, options: RenderOptions): Promise<readonly RuleGroup[]> {
  const { objects } = await render(options);
  expect(objects.map((o: K8sObject) => o.kind)).toEqual(['PrometheusRule']);
  const spec = objects[0]?.['spec'] as { groups: RuleGroup[] };
  await writeFile(join(dir, RULES_FILE), stringify({ groups: spec.groups }));
  return spec.groups;
}

interface UnitTestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly {
    readonly name: string;
    readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts?: readonly unknown[] }[];
  }[];
}

describe('PrometheusRule (promtool)', () => {
  // A missing promtool (or a chart that does not render) fails every test here with the reason; a throwing
  // beforeAll would only mark them skipped, which a pass/fail count would not show as a failure.
  let setupError: Error | undefined;
  let promtool = '';
  let dir = '';
  let testFiles: string[] = [];
  let groups: readonly RuleGroup[] = [];

  function requirePromtool(): string {
    if (setupError) throw setupError;
    return promtool;
  }

  beforeAll(async () => {
    try {
      promtool = await findPromtool();
      dir = await mkdtemp(join(tmpdir(), 'promoter-promtool-'));
      groups = await writeRules(dir, RULE_VALUES);
      testFiles = (await readdir(TESTS_DIR)).filter((f) => f.endsWith('.test.yaml')).sort();
      for (const file of testFiles) await copyFile(join(TESTS_DIR, file), join(dir, file));
    } catch (error) {
      setupError = error instanceof Error ? error : new Error(String(error));
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds promtool (Debian package "prometheus")', () => {
    expect(requirePromtool()).toMatch(/promtool$/);
  });

  it('has rule unit tests to run', () => {
    requirePromtool();
    expect(testFiles.length).toBeGreaterThan(0);
  });

  it('passes promtool check rules', async () => {
    const result = await run(requirePromtool(), ['check', 'rules', RULES_FILE], dir);
    expect(result.output).toContain(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`);
    expect(result.code).toBe(0);
  });

  it('passes promtool test rules: each alert fires when it should and stays silent when it should', async () => {
    const result = await run(requirePromtool(), ['test', 'rules', ...testFiles], dir);
    expect(result.output, result.output).not.toContain('FAILED');
    expect(result.code, result.output).toBe(0);
  });

  it('covers every alert with a firing case and a silent case', async () => {
    requirePromtool();
    const alerts = groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const firing = new Set<string>();
    const silent = new Set<string>();
    for (const file of testFiles) {
      const content = parse(await readFile(join(TESTS_DIR, file), 'utf8')) as UnitTestFile;
      expect(content.rule_files).toEqual([RULES_FILE]);
      for (const test of content.tests) {
        for (const check of test.alert_rule_test ?? []) {
          expect(alerts, `${test.name} tests an alert the chart does not define`).toContain(check.alertname);
          ((check.exp_alerts ?? []).length > 0 ? firing : silent).add(check.alertname);
        }
      }
    }
    expect([...firing].sort()).toEqual([...alerts].sort());
    expect([...silent].sort()).toEqual([...alerts].sort());
  });

  it('has silent cases that catch a looser selector or lower thresholds', async () => {
    // Render the rules wrongly on purpose: promtool must then fail exactly the cases that guard them.
    const tool = requirePromtool();
    const mutated = await mkdtemp(join(tmpdir(), 'promoter-promtool-mutated-'));
    try {
      await writeRules(mutated, {
        ...RULE_VALUES,
        set: ['prometheusRule.selector=namespace="promoter"'],
        setJson: [
          'prometheusRule.alerts.rollbacks={"ratio":0.1,"minCount":1}',
          'prometheusRule.alerts.prometheusErrors.ratio=0.01',
          'prometheusRule.alerts.apiErrors.ratio=0.001',
          'prometheusRule.alerts.notificationsUndelivered.maxAgeSeconds=300',
        ],
      });
      for (const file of testFiles) await copyFile(join(TESTS_DIR, file), join(mutated, file));
      const result = await run(tool, ['test', 'rules', ...testFiles], mutated);
      expect(result.code).not.toBe(0);
      for (const name of [
        'PromoterDown stays silent while one of two replicas is up',
        'PromoterPromotionsFailing ignores rejections, rollbacks and other jobs',
        'PromoterRollbacksFrequent stays silent when rollbacks are a minority',
        'PromoterEngineStalled stays silent while the engine steps or nothing is active',
        'PromoterPrometheusQueriesFailing tolerates a few errors',
        'PromoterApiErrors ignores client errors and rare server errors',
        'PromoterNotificationsUndelivered stays silent through retries that succeed and for other jobs',
      ]) {
        expect(result.output, name).toContain(`name: ${name},`);
      }
    } finally {
      await rm(mutated, { recursive: true, force: true });
    }
  });
});
