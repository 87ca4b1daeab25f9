/**
 * The fake Kubernetes API (test/fake-kube) in its own process, so that its CPU is not counted as the
 * engine's. Writes a kubeconfig for it to KUBECONFIG_OUT and takes commands from the runner.
 */
import { startFakeKube } from '@promoter/fake-kube';
import { serveIpc } from '../lib/ipc.js';

async function main(): Promise<void> {
  const kube = await startFakeKube();
  const kubeconfig = process.env.KUBECONFIG_OUT;
  if (!kubeconfig) throw new Error('KUBECONFIG_OUT is required');
  await kube.writeKubeconfig(kubeconfig);
  serveIpc(
    {
      addDeployments: (args) => {
        const { namespace, names, image, replicas } = args as { namespace: string; names: string[]; image: string; replicas?: number };
        for (const name of names) kube.addDeployment({ namespace, name, containers: [{ name: 'app', image }], replicas: replicas ?? 1 });
        return names.length;
      },
      /** PATCH requests to Deployments of `namespace`: path, arrival time (ms) and status. */
      patches: (args) => {
        const { namespace } = args as { namespace: string };
        const prefix = `/apis/apps/v1/namespaces/${namespace}/deployments/`;
        return kube.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith(prefix)).map((r) => ({ path: r.path, time: r.time, status: r.status }));
      },
      requestCount: () => kube.requests.length,
      image: (args) => {
        const { namespace, name } = args as { namespace: string; name: string };
        return kube.getDeployment(namespace, name)?.spec.template.spec.containers[0]?.image ?? null;
      },
      stop: async () => {
        await kube.close();
        setTimeout(() => process.exit(0), 20);
        return true;
      },
    },
    { url: kube.url },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-kube-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
