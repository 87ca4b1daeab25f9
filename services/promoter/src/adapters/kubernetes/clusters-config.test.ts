import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClustersFileError, loadClustersFile, MAX_CLUSTERS, MAX_CLUSTERS_FILE_BYTES, parseClustersConfig } from './clusters-config.js';

const SOURCE = '/etc/promoter/clusters.yaml';

describe('parseClustersConfig', () => {
  it('reads kubeconfig clusters (relative to the file) and in-cluster ones, with the default', () => {
    const config = parseClustersConfig(
      ['default: apexalgo-iad', 'clusters:', '  - { name: staging, inCluster: true }', '  - { name: apexalgo-iad, kubeconfig: kube/iad, context: admin }', '  - { name: eu, kubeconfig: /abs/eu }'].join('\n'),
      SOURCE,
    );
    expect(config).toEqual({
      clusters: [
        { name: 'staging', source: { kind: 'in-cluster' } },
        { name: 'apexalgo-iad', source: { kind: 'kubeconfig', kubeconfig: '/etc/promoter/kube/iad', context: 'admin' } },
        { name: 'eu', source: { kind: 'kubeconfig', kubeconfig: '/abs/eu', context: undefined } },
      ],
      defaultCluster: 'apexalgo-iad',
      file: SOURCE,
    });
  });

  it('makes the only cluster the default, and leaves several without one undecided', () => {
    expect(parseClustersConfig('clusters: [{ name: prod, kubeconfig: k }]', SOURCE).defaultCluster).toBe('prod');
    expect(parseClustersConfig('clusters: [{ name: a, kubeconfig: k }, { name: b, kubeconfig: k }]', SOURCE).defaultCluster).toBeUndefined();
  });

  const manyClusters = `clusters:\n${Array.from({ length: MAX_CLUSTERS + 1 }, (_, i) => `  - { name: c${i}, kubeconfig: k }`).join('\n')}`;
  it.each([
    ['not YAML', { given: 'clusters: [', want: /not valid YAML or JSON/ }],
    ['not an object', { given: '- a', want: /expected an object with a clusters list/ }],
    ['an unknown top-level key', { given: 'clusters: [{ name: a, kubeconfig: k }]\ndefualt: a', want: /unknown field defualt \(allowed: clusters, default\)/ }],
    ['no clusters', { given: 'default: a', want: /clusters must be a non-empty list/ }],
    ['an empty list', { given: 'clusters: []', want: /clusters must be a non-empty list/ }],
    ['too many', { given: manyClusters, want: new RegExp(`at most ${MAX_CLUSTERS}`) }],
    ['an entry that is not an object', { given: 'clusters: [staging]', want: /clusters\[0\]: expected an object/ }],
    ['a name that is not a DNS label', { given: 'clusters: [{ name: Staging_1, kubeconfig: k }]', want: /clusters\[0\] 'Staging_1': name is required: a lowercase DNS label/ }],
    ['no name', { given: 'clusters: [{ kubeconfig: k }]', want: /clusters\[0\]: name is required/ }],
    ['an unknown key in an entry', { given: 'clusters: [{ name: a, kubeconfig: k, server: https://x }]', want: /clusters\[0\] 'a': unknown field server/ }],
    ['neither kubeconfig nor inCluster', { given: 'clusters: [{ name: a }]', want: /clusters\[0\] 'a': kubeconfig is required .* or inCluster: true/ }],
    ['inCluster false', { given: 'clusters: [{ name: a, inCluster: false }]', want: /clusters\[0\] 'a': inCluster must be true/ }],
    ['inCluster with a kubeconfig', { given: 'clusters: [{ name: a, inCluster: true, kubeconfig: k }]', want: /inCluster: true takes no kubeconfig or context/ }],
    ['an empty context', { given: "clusters: [{ name: a, kubeconfig: k, context: '' }]", want: /clusters\[0\] 'a': context must be a non-empty string/ }],
    ['a name used twice', { given: 'clusters: [{ name: a, kubeconfig: k }, { name: a, kubeconfig: j }]', want: /the name 'a' is used twice/ }],
    ['a default that is not a cluster', { given: 'default: b\nclusters: [{ name: a, kubeconfig: k }]', want: /default must name one of the clusters \(a\), got "b"/ }],
  ])('refuses %s, naming the key', (_name, { given, want }) => {
    expect(() => parseClustersConfig(given, SOURCE)).toThrow(ClustersFileError);
    expect(() => parseClustersConfig(given, SOURCE)).toThrow(want);
    expect(() => parseClustersConfig(given, SOURCE)).toThrow(SOURCE);
  });
});

describe('loadClustersFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promoter-clusters-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves kubeconfig paths against the file\'s folder', () => {
    const file = join(dir, 'clusters.yaml');
    writeFileSync(file, 'clusters: [{ name: a, kubeconfig: kube/a.yaml }]');
    expect(loadClustersFile(file).clusters[0]?.source).toEqual({ kind: 'kubeconfig', kubeconfig: join(dir, 'kube/a.yaml'), context: undefined });
  });

  it('refuses a missing file and one larger than the bound', () => {
    expect(() => loadClustersFile(join(dir, 'missing.yaml'))).toThrow(/cannot read it: ENOENT/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(MAX_CLUSTERS_FILE_BYTES)}\nclusters: [{ name: a, kubeconfig: k }]`);
    expect(() => loadClustersFile(big)).toThrow(`is larger than ${MAX_CLUSTERS_FILE_BYTES} bytes`);
  });
});
