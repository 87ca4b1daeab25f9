/**
 * The chart configures webhook checks: the allow-list reaches the container as PROMOTER_WEBHOOK_ALLOWED_URLS
 * and the header secrets only through secretKeyRef into the chart's Secret (or one the operator manages);
 * what the container would see is read back with the service's own configuration loader.
 */
import { describe, expect, it } from 'vitest';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { loadConfig } from '../../services/promoter/src/config.js';
import { lintArgs, ofKind, onlyOfKind, render, runHelm, validateObject, type K8sObject, type RenderOptions } from './chart.js';

const OPTIONS: RenderOptions = { values: ['minimal.yaml', 'webhook-checks.yaml'] };
const SECRET_VALUE = 'gate-Zq0v7mX2pLk9wRt4';

function containerEnv(objects: readonly K8sObject[]) {
  const deployment = onlyOfKind<IDeployment>(objects, 'Deployment');
  return deployment.spec?.template.spec?.containers[0]?.env ?? [];
}

describe('webhook checks in the chart', () => {
  it('passes helm lint --strict and renders valid objects', async () => {
    const result = await runHelm(lintArgs(OPTIONS));
    expect(result.code).toBe(0);
    const { objects } = await render(OPTIONS);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('gives the container the allow-list and the secret from the Secret, as the service reads them', async () => {
    const { objects, text } = await render(OPTIONS);
    const secret = ofKind<ISecret>(objects, 'Secret').find((s) => s.metadata?.name === 'promoter');
    const stored = Buffer.from(secret?.data?.['PROMOTER_WEBHOOK_SECRET_GATE'] ?? '', 'base64').toString('utf8');
    expect(stored).toBe(SECRET_VALUE);
    const env = containerEnv(objects);
    const ref = env.find((e) => e.name === 'PROMOTER_WEBHOOK_SECRET_GATE')?.valueFrom?.secretKeyRef;
    expect(ref).toEqual({ name: 'promoter', key: 'PROMOTER_WEBHOOK_SECRET_GATE' });
    // The environment the pod would get (secretKeyRef resolved from the rendered Secret), through loadConfig.
    const resolved: Record<string, string> = { PROMOTER_API_TOKENS: 'ci:operator:ci-0123456789abcdef', DATABASE_URL: 'postgres://x@y/z' };
    for (const e of env) {
      if (e.value !== undefined) resolved[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef?.name === 'promoter' && e.name.startsWith('PROMOTER_WEBHOOK_SECRET_')) resolved[e.name] = stored;
    }
    const config = loadConfig(resolved);
    expect(config.webhooks.allowedUrls).toEqual(['https://gate.example.com/checks/', 'http://canary-judge.mcp.svc:8080/']);
    expect(config.webhooks.secrets).toEqual({ PROMOTER_WEBHOOK_SECRET_GATE: SECRET_VALUE });
    expect(text).not.toContain(SECRET_VALUE);
  });

  it('takes the secrets from a Secret the operator manages instead', async () => {
    const { objects } = await render({
      values: ['minimal.yaml'],
      set: ['webhookChecks.existingSecret=gate-secrets'],
      setJson: ['webhookChecks.allowedUrls=["https://gate.example.com/"]', 'webhookChecks.existingSecretEnv=["PROMOTER_WEBHOOK_SECRET_GATE"]'],
    });
    const env = containerEnv(objects);
    expect(env.find((e) => e.name === 'PROMOTER_WEBHOOK_SECRET_GATE')?.valueFrom?.secretKeyRef).toEqual({ name: 'gate-secrets', key: 'PROMOTER_WEBHOOK_SECRET_GATE' });
    expect(env.find((e) => e.name === 'PROMOTER_WEBHOOK_ALLOWED_URLS')?.value).toBe('https://gate.example.com/');
  });

  it('refuses a secret name the service would not read, and sets nothing by default', async () => {
    const refused = await runHelm(lintArgs({ values: ['minimal.yaml'], set: ['webhookChecks.secretEnv.GATE_TOKEN=abc'] }));
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/webhookChecks.*secretEnv|GATE_TOKEN/);
    const names = containerEnv((await render({ values: ['minimal.yaml'] })).objects).map((e) => e.name);
    expect(names.filter((n) => n.startsWith('PROMOTER_WEBHOOK'))).toEqual([]);
  });
});
