/**
 * The chart configures notification sinks from a Secret: the sinks file rendered by the chart is the one
 * the service validates at start-up (parsed here with the service's own parser and the Secret's values as
 * the environment), the secret values reach the container only through secretKeyRef, and a Secret the
 * operator manages can be used instead.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { lintArgs, ofKind, onlyOfKind, render, runHelm, validateObject, type RenderOptions } from './chart.js';

const OPTIONS: RenderOptions = { values: ['minimal.yaml', 'notifications.yaml'] };

const decode = (secret: ISecret) => Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

describe('notifications in the chart', () => {
  it('passes helm lint --strict and renders valid objects', async () => {
    const result = await runHelm(lintArgs(OPTIONS));
    expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(result.code).toBe(0);
    const { objects } = await render(OPTIONS);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('renders a sinks file the service accepts, with the secrets only in the Secret', async () => {
    const { objects, text } = await render(OPTIONS);
    const secret = ofKind<ISecret>(objects, 'Secret').find((s) => s.metadata?.name === 'promoter-notifications');
    expect(secret).toBeDefined();
    const data = decode(secret as ISecret);
    expect(Object.keys(data).sort()).toEqual(['OPS_HOOK_SECRET', 'SLACK_URL', 'notifications.yaml']);
    const config = parseNotificationsConfig(parse(data['notifications.yaml'] as string), data);
    expect(config.sinks.map((s) => [s.name, s.type, s.url])).toEqual([
      ['ops', 'webhook', 'https://hooks.example.com/promoter'],
      ['chat', 'slack', 'https://hooks.slack.com/services/T000/B000/slack-0123456789abcdef'],
    ]);
    expect(config.delivery.maxAttempts).toBe(8);

    const deployment = onlyOfKind<IDeployment>(objects, 'Deployment');
    const container = deployment.spec?.template.spec?.containers[0];
    const env = new Map((container?.env ?? []).map((e) => [e.name, e]));
    expect(env.get('PROMOTER_NOTIFICATIONS_FILE')?.value).toBe('/etc/promoter/notifications/notifications.yaml');
    expect(env.get('PROMOTER_PUBLIC_URL')?.value).toBe('https://promoter.example.com');
    for (const key of ['OPS_HOOK_SECRET', 'SLACK_URL']) {
      expect(env.get(key)?.valueFrom?.secretKeyRef).toEqual({ name: 'promoter-notifications', key });
    }
    expect(container?.volumeMounts).toContainEqual({ name: 'notifications', mountPath: '/etc/promoter/notifications', readOnly: true });
    expect(deployment.spec?.template.spec?.volumes).toContainEqual({ name: 'notifications', secret: { secretName: 'promoter-notifications', items: [{ key: 'notifications.yaml', path: 'notifications.yaml' }] } });
    expect(deployment.spec?.template.metadata?.annotations?.['checksum/notifications']).toMatch(/^[0-9a-f]{64}$/);
    // Neither secret appears in clear anywhere in the output.
    expect(text).not.toContain('slack-0123456789abcdef');
    expect(text).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });

  it('uses a Secret the operator manages instead', async () => {
    const { objects } = await render({
      values: ['minimal.yaml'],
      set: ['notifications.existingSecret=my-sinks'],
      setJson: ['notifications.existingSecretEnv=["PAGER_SECRET"]'],
    });
    expect(ofKind<ISecret>(objects, 'Secret').map((s) => s.metadata?.name)).not.toContain('promoter-notifications');
    const deployment = onlyOfKind<IDeployment>(objects, 'Deployment');
    const env = new Map((deployment.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e]));
    expect(env.get('PAGER_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'my-sinks', key: 'PAGER_SECRET' });
    expect(deployment.spec?.template.spec?.volumes).toContainEqual({ name: 'notifications', secret: { secretName: 'my-sinks', items: [{ key: 'notifications.yaml', path: 'notifications.yaml' }] } });
  });

  it('renders nothing for notifications by default', async () => {
    const { objects } = await render({ values: ['minimal.yaml'] });
    const deployment = onlyOfKind<IDeployment>(objects, 'Deployment');
    expect((deployment.spec?.template.spec?.containers[0]?.env ?? []).map((e) => e.name)).not.toContain('PROMOTER_NOTIFICATIONS_FILE');
    expect(ofKind<ISecret>(objects, 'Secret').map((s) => s.metadata?.name)).not.toContain('promoter-notifications');
  });
});
