/**
 * The promotion page's manual gate in a real browser against the real service (tokens of different names are
 * different identities): who approved and why, how many approvals are still needed and from whom, and the
 * approve button only for callers the API would let approve (never the requester, not twice, only eligible).
 * Promotions are seeded at the gate (no engine runs, so the page stays as the approvals leave it).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { tokenIdentity } from '../../services/promoter/src/http/access.js';
import type { PolicyDocument } from '../../services/promoter/src/domain/policy/model.js';
import { newTestPromotion, putTestPolicy, TEST_POLICY } from '../fixtures/database.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { launchBrowser, type TestBrowser, type WatchedPage } from './browser.js';

const TOKENS = {
  alice: { name: 'alice', role: 'operator', secret: 'alice-secret-0123456789abcdef', namespaces: undefined },
  bob: { name: 'bob', role: 'operator', secret: 'bob-secret-0123456789abcdefgh', namespaces: undefined },
  carol: { name: 'carol', role: 'admin', secret: 'carol-secret-0123456789abcdef', namespaces: undefined },
} as const;
type Who = keyof typeof TOKENS;

describe('approvals on the promotion page in a real browser', () => {
  let svc: TestService;
  let browser: TestBrowser;
  const pages: WatchedPage[] = [];

  const api = (who: Who, method: 'GET' | 'POST', url: string, payload?: object) =>
    svc.app.inject({ method, url, headers: { authorization: `Bearer ${TOKENS[who].secret}` }, ...(payload === undefined ? {} : { payload }) });

  /** A promotion requested by alice, waiting at its gate under `approval`. */
  const atTheGate = async (deployment: string, approval: PolicyDocument['approval']): Promise<string> => {
    const db = svc.database.handle.db;
    const { promotion } = await new PromotionRepository(db).create({
      ...newTestPromotion(deployment),
      policySnapshot: { ...TEST_POLICY, approval },
      actor: 'alice',
      actorIdentity: tokenIdentity('alice'),
    });
    await sql`UPDATE promotions SET state = 'awaiting_approval', state_reason = 'gate passed; waiting for approval' WHERE id = ${promotion.id}`.execute(db);
    await sql`INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason) VALUES (${promotion.id}, 'engine', 'transition', 'pending', 'awaiting_approval', 'gate passed; waiting for approval')`.execute(db);
    return promotion.id;
  };

  const open = async (who: Who, id: string) => {
    const watched = await browser.newPage();
    pages.push(watched);
    await watched.page.goto(`${svc.url}/ui/`);
    await watched.page.getByLabel('API token').fill(TOKENS[who].secret);
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
    await watched.page.locator('.who').waitFor();
    await watched.page.goto(`${svc.url}/ui/promotions/${id}`);
    await watched.page.locator('[data-approval]').waitFor();
    return watched.page;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    svc = await startTestService({ listen: true, apiTokens: Object.values(TOKENS), streamPollMs: 100 });
    await putTestPolicy(svc.database.handle.db);
  }, 120_000);

  afterAll(async () => {
    for (const watched of pages) expect(watched.violations, 'CSP violations').toEqual([]);
    await browser?.close();
    await svc?.close();
  });

  it('shows who approved and what is still needed; hides approve from the requester and from who already approved; another approver approves from the page', async () => {
    const id = await atTheGate('two-people', { required: 2 });
    expect((await api('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'dashboards are green' })).statusCode).toBe(200);

    const requester = await open('alice', id);
    const gate = requester.locator('[data-approval]');
    expect(await gate.getAttribute('data-remaining')).toBe('1');
    expect(await gate.locator('[data-approver="token:bob"]').textContent()).toContain('approved by bob');
    expect(await gate.locator('[data-approver="token:bob"]').textContent()).toContain('dashboards are green');
    expect(await gate.locator('[data-approver="token:bob"] .actor').getAttribute('title')).toBe('token · bob');
    expect(await gate.locator('[data-still-needs]').textContent()).toBe('still needs 1 approval from anyone but the requester');
    expect(await requester.locator('button[data-action="abort"]').count()).toBe(1);
    expect(await requester.locator('button[data-action="approve"]').count()).toBe(0);

    const approvedAlready = await open('bob', id);
    expect(await approvedAlready.locator('button[data-action="abort"]').count()).toBe(1);
    expect(await approvedAlready.locator('button[data-action="approve"]').count()).toBe(0);

    const page = await open('carol', id);
    await page.locator('button[data-action="approve"]').click();
    // The abort button has its own (closed) dialog: the approve dialog is the open one.
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Reason (kept in the audit trail)').fill('release notes checked');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByRole('button', { name: 'Yes, approve' }).click();
    await page.locator('[data-approval][data-remaining="0"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-approver="token:carol"]').textContent()).toContain('release notes checked');
    expect(await page.locator('[data-approval]').textContent()).toContain('approved by 2 people');
    // The timeline names each approver.
    expect(await page.locator('.timeline li[data-event="approval"] .actor').allTextContents()).toEqual(['bob', 'carol']);
    const detail = (await api('carol', 'GET', `/v1/promotions/${id}`)).json();
    expect(detail.approval.approvals.map((a: { actor: string }) => a.actor)).toEqual(['bob', 'carol']);
  }, 90_000);

  it('hides approve from a caller outside the policy’s roles, and says who may approve', async () => {
    const id = await atTheGate('admins-only', { required: 1, from: { roles: ['admin'] } });
    const operator = await open('bob', id);
    expect(await operator.locator('[data-still-needs]').textContent()).toBe('still needs 1 approval from an admin (not the requester)');
    expect(await operator.locator('button[data-action="abort"]').count()).toBe(1);
    expect(await operator.locator('button[data-action="approve"]').count()).toBe(0);
    const admin = await open('carol', id);
    expect(await admin.locator('button[data-action="approve"]').count()).toBe(1);
  }, 60_000);
});
