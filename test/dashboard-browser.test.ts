import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, SextantError } from '../src/sdk/index.js';
import { tempDir } from './helpers/app.js';
import { type Browser, chromiumAvailable, expectAccessible, launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { runCli, type ServerProcess, startCliServer } from './helpers/processes.js';

const DEMO = 'breast-cancer';
const available = chromiumAvailable();

// A real server seeded by the quick start's flow (two versions, a deployment, monitor windows with
// drift and alerts, a retrain and its canary), driven by Debian's Chromium.
describe.skipIf(!available)('the dashboard in a browser', () => {
  const home = tempDir('sextant-dashboard-');
  let server: ServerProcess;
  let url: string;
  let browser: Browser;
  let current: { page: Page; problems: string[] } | null = null;
  const sdk = () => createClient({ baseUrl: url, actor: 'test' });

  beforeAll(async () => {
    server = await startCliServer(['quickstart', '--port', '0', '--home', home], {}, /Press Ctrl-C/, 240_000);
    url = /Sextant is running at (http:\/\/\S+)/.exec(server.output())![1]!;
    expect(server.output()).toContain(`Dashboard: ${url}/`);
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  afterEach(async () => {
    // Any console error or uncaught exception on the page fails the test that caused it.
    const problems = current?.problems ?? [];
    await current?.page.close();
    current = null;
    expect(problems).toEqual([]);
  });

  async function visit(path: string, ready: (p: Page) => Promise<unknown>): Promise<Page> {
    current ??= await openPage(browser);
    await current.page.goto(`${url}${path}`);
    await ready(current.page);
    return current.page;
  }

  it('overview: every deployment with its health, models with search, both themes, a narrow window', async () => {
    const page = await visit('/', (p) => p.getByRole('link', { name: DEMO, exact: true }).first().waitFor());
    await expect.poll(() => page.title()).toBe('Overview · Sextant');
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: DEMO, exact: true }) }).first();
    // The quick start leaves an accuracy alert open: the deployment is critical, with the reason.
    await expect.poll(() => row.textContent()).toMatch(/Critical.*accuracy alert open for 1 window/);
    expect(await row.textContent()).toMatch(/v3 100 %/);
    const models = page.getByRole('region', { name: 'Models' }).or(page.locator('section[aria-labelledby="models-title"]'));
    expect(await models.getByRole('row').count()).toBe(2);
    await expectAccessible(page, 'overview');
    await screenshot(page, 'overview-light');
    await page.getByLabel('Search by name').fill('no-such-model');
    await page.getByText('No models match.').waitFor();
    await page.getByLabel('Search by name').fill('');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await expectAccessible(page, 'overview, dark');
    await screenshot(page, 'overview-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(page, 'overview-narrow');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('model: the timeline of what served when, whose marks say who and why; versions; lineage', async () => {
    const page = await visit(`/models/${DEMO}`, (p) => p.getByRole('heading', { name: 'What served when' }).waitFor());
    await page.locator('.timeline .mark').first().waitFor();
    const lanes = await page.locator('.timeline .lane-label').allTextContents();
    expect(lanes.join('|')).toMatch(/champion/);
    expect(lanes.join('|')).toMatch(new RegExp(`${DEMO}`));
    // The first change of champion, by keyboard focus: its tooltip names the actor and the reason.
    const mark = page.getByRole('button', { name: /champion → 1.*by quickstart: first release/ });
    await mark.focus();
    const tip = page.getByRole('tooltip');
    await expect.poll(() => tip.textContent()).toMatch(/champion → 1.*by quickstart.*why: first release/);
    // The canary step of the automated promotion is a mark too.
    expect(await page.getByRole('button', { name: /canary version 3 at 50 %.*by sextant:promotion/ }).count()).toBe(1);
    const versions = page.getByRole('table', { name: `Versions of ${DEMO}` });
    await versions.getByRole('button', { name: 'v1' }).waitFor();
    expect(await versions.getByRole('row').count()).toBe(4);
    await versions.getByRole('button', { name: 'v3' }).press('Enter');
    await page.getByRole('heading', { name: 'Lineage of version 3' }).waitFor();
    const lineage = page.locator('section[aria-labelledby="lineage-title"]');
    await expect.poll(() => lineage.textContent()).toMatch(/Trained by.*job/);
    expect(await lineage.textContent()).toMatch(/Validation gate: passed against champion v2/);
    // The model card, rendered by the server, in a sandboxed frame.
    await expect.poll(() => page.frameLocator(`iframe[title="Model card of ${DEMO} version 3"]`).locator('h1').textContent()).toBe(`Model card: ${DEMO} version 3`);
    await expectAccessible(page, 'model');
    await screenshot(page, 'model');
  });

  it('deployment: live split, traffic charts, quality with bands, and the prediction log filtered by version', async () => {
    // Some traffic of this minute, so the charts and the observed split have something to show.
    const sample = JSON.parse(fs.readFileSync(new URL('../assets/quickstart/sample.json', import.meta.url), 'utf8')) as { features: string[]; rows: number[][] };
    for (const row of sample.rows.slice(0, 20)) await sdk().inference.invocations(DEMO, { dataframe_split: { columns: sample.features, data: [row] } });
    const page = await visit(`/deployments/${DEMO}`, (p) => p.getByRole('heading', { name: 'Traffic split' }).waitFor());
    expect(await page.getByRole('img', { name: /Configured split: version 3 100 %/ }).count()).toBe(1);
    // Three traffic charts and the quality chart (drawn once its windows are read).
    await expect.poll(() => page.locator('figure.chart').count()).toBe(4);
    // The traffic history shows once the 10-second step has ended and been flushed.
    await expect.poll(() => page.getByRole('img', { name: /^Requests per second\. all: latest/ }).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/peak [1-9]/);
    const quality = page.locator('section[aria-labelledby="quality-title"]');
    await expect.poll(() => quality.getByRole('table', { name: 'Quality per window' }).getByRole('row').count()).toBe(3);
    expect(await quality.textContent()).toMatch(/0\.81/);
    // The business value panel: the quick start's model has no KPI, so the panel says how to set one.
    const value = page.locator('section[aria-labelledby="value-title"]');
    await expect.poll(() => value.textContent()).toMatch(/No business value yet: set the model's KPI with sextant kpi set/);
    const log = page.locator('section[aria-labelledby="log-title"]');
    await log.getByRole('row').nth(5).waitFor();
    await log.getByLabel('Version').selectOption('2');
    await expect.poll(async () => (await log.locator('tbody tr td:nth-child(3)').allTextContents()).every((v) => v === '2')).toBe(true);
    expect(await log.locator('tbody tr').count()).toBeGreaterThan(10);
    await log.getByLabel('Only with ground truth').check();
    await expect.poll(async () => (await log.locator('tbody tr td:nth-child(6)').allTextContents()).every((v) => v === '0' || v === '1')).toBe(true);
    await expectAccessible(page, 'deployment');
    await screenshot(page, 'deployment');
  });

  it('monitoring: the drift heat map opens distributions from the keyboard; the HTML report; alerts are acknowledged', async () => {
    const page = await visit('/monitoring', (p) => p.getByRole('heading', { name: 'Drift heat map' }).waitFor());
    const drifted = page.getByRole('button', { name: /^worst_radius, window ending .*drifted$/ });
    await drifted.focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('section[aria-labelledby="detail-title"]');
    await detail.getByRole('heading', { name: /worst_radius/ }).waitFor();
    await detail.getByRole('table', { name: /worst_radius: share of rows per bin/ }).waitFor();
    expect(await detail.textContent()).toMatch(/Test.*Statistic.*p-value.*Threshold.*Verdictdrifted/);
    expect(await detail.getByRole('row').count()).toBeGreaterThan(3);
    // Arrow keys move between cells.
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toMatch(/^fractal_dimension_error, window ending/);
    const [report] = await Promise.all([page.waitForEvent('popup'), detail.getByRole('button', { name: 'Open the HTML drift report' }).click()]);
    await expect.poll(() => report.title()).toMatch(/^Drift of breast-cancer \(version \d\) from /);
    expect(await report.locator('table').textContent()).toContain('worst_radius');
    await report.close();
    await expectAccessible(page, 'monitoring');
    await screenshot(page, 'monitoring');
    const alerts = page.locator('section[aria-labelledby="alerts-title"]');
    const before = await alerts.getByRole('button', { name: 'Acknowledge' }).count();
    expect(before).toBeGreaterThan(0);
    await alerts.getByRole('button', { name: 'Acknowledge' }).first().click();
    await expect.poll(() => alerts.getByRole('button', { name: 'Acknowledge' }).count()).toBe(before - 1);
    expect((await sdk().alerts.list({ status: 'acked' })).map((a) => a.ackedBy)).toEqual(['dashboard']);
  });

  it('jobs: the retrain with its trigger, its log and the gate comparison', async () => {
    const page = await visit('/jobs', (p) => p.getByRole('heading', { name: 'Recent jobs' }).waitFor());
    const detail = page.locator('section[aria-labelledby="job-title"]');
    await detail.getByRole('heading', { name: /Gate: challenger v3 vs champion v2/ }).waitFor();
    expect(await detail.getByRole('row', { name: /accuracy/ }).textContent()).toMatch(/0\.9.*0\.95.*pass/);
    await expect.poll(() => detail.getByLabel(/^Log of job/).textContent()).toMatch(/registered breast-cancer version 3[\s\S]*succeeded/);
    expect(await detail.textContent()).toMatch(/Triggerdrift/);
    await expectAccessible(page, 'jobs');
    await screenshot(page, 'jobs');
  });

  it('approvals and audit: filters, and the chain verified', async () => {
    const page = await visit('/governance', (p) => p.getByRole('heading', { name: 'Audit log' }).waitFor());
    await page.getByText('Nothing waits for a decision.').waitFor();
    const audit = page.locator('section[aria-labelledby="audit-title"]');
    await audit.getByRole('row').nth(3).waitFor();
    await audit.getByLabel('Action').fill('alias.set');
    await audit.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => new Set(await audit.locator('tbody tr td:nth-child(4)').allTextContents())).toEqual(new Set(['alias.set']));
    await audit.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(() => audit.getByRole('status').textContent()).toMatch(/Chain intact: \d+ events checked/);
    await expectAccessible(page, 'governance');
    await screenshot(page, 'governance');
  });

  it('canary → promote → roll back, from the keyboard, each confirmed with a reason; the registry follows', async () => {
    const page = await visit(`/deployments/${DEMO}`, (p) => p.getByRole('button', { name: 'Start canary' }).waitFor());
    const api = sdk();
    const championBefore = (await api.versions.get(DEMO, 'champion')).version;
    const confirm = async (button: string, reason: string, fill?: (d: ReturnType<Page['getByRole']>) => Promise<void>) => {
      await page.getByRole('button', { name: button, exact: true }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await fill?.(dialog);
      await dialog.getByLabel('Reason (recorded in the audit trail)').focus();
      await page.keyboard.type(reason);
      await page.keyboard.press('Tab'); // Cancel
      await page.keyboard.press('Tab'); // confirm
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
    };
    // Escape closes a dialog without doing anything.
    await page.getByRole('button', { name: 'Start canary' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.getByRole('dialog').textContent()).toMatch(/Version \d of breast-cancer will receive 10 % of the requests to breast-cancer; version 3 keeps 90 %/);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect((await api.deployments.get(DEMO)).canary).toBeNull();

    await confirm('Start canary', 'try version 1 again', async (d) => {
      await d.getByLabel('Version').selectOption('1');
      await d.getByLabel('Share of traffic (%)').fill('20');
      expect(await d.textContent()).toMatch(/Version 1 of breast-cancer will receive 20 % .* version 3 keeps 80 %/);
    });
    expect((await api.deployments.get(DEMO)).canary).toEqual({ version: 1, weight: 20 });
    await page.getByRole('img', { name: /Configured split: version 3 80 %, version 1 20 % \(canary\)/ }).waitFor();

    await confirm('Promote', 'version 1 holds up');
    expect((await api.versions.get(DEMO, 'champion')).version).toBe(1);
    expect((await api.deployments.get(DEMO)).canary).toBeNull();
    await page.getByRole('img', { name: /Configured split: version 1 100 %/ }).waitFor();

    await confirm('Roll back', 'back to the retrained one');
    expect((await api.versions.get(DEMO, 'champion')).version).toBe(championBefore);
    await page.getByRole('img', { name: new RegExp(`Configured split: version ${championBefore} 100 %`) }).waitFor();

    // Every step is in the audit trail with the reason given in the dialog, by the dashboard.
    const events = (await api.audit.list({ actor: 'dashboard', order: 'desc', pageSize: 10 })).events.map((e) => [e.action, e.reason]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['deployment.canary', 'try version 1 again'],
        ['deployment.promote', 'version 1 holds up'],
        ['alias.rollback', 'back to the retrained one'],
      ]),
    );
    await screenshot(page, 'deployment-after-rollback');

    // A protected alias: the move becomes an approval request, and the page says so.
    await api.protections.protect(DEMO, 'champion');
    await confirm('Roll back', 'needs four eyes');
    const notice = await page.getByRole('status').filter({ hasText: /^approval \S+ requested/ }).textContent();
    const [pending] = await api.approvals.list({ model: DEMO, status: 'pending' });
    expect(notice).toBe(`approval ${pending!.id} requested: ${DEMO}@champion moves to version ${pending!.version} after 1 approval(s)`);
    expect((await api.versions.get(DEMO, 'champion')).version).toBe(championBefore);
    await api.approvals.reject(pending!.id, 'only checking the page');
    await api.protections.unprotect(DEMO, 'champion');
  });

  it('with --auth: a token login; a viewer sees write controls disabled and the server refuses them too; a deployer may use them', async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    const token = async (name: string, role: string) => {
      const r = await runCli(['tokens', 'create', '--name', name, '--role', role, '--local', '--home', home, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).token as string;
    };
    const viewer = await token('ann', 'viewer');
    const deployer = await token('dee', 'deployer');
    server = await startCliServer(['server', '--port', '0', '--home', home, '--auth'], { SEXTANT_AUTH: 'on' });
    url = /listening on (http:\/\/\S+)/.exec(server.output())![1]!;
    expect(server.output()).toContain(`dashboard: ${url}/`);

    const page = await visit(`/deployments/${DEMO}`, (p) => p.getByRole('heading', { name: 'Sign in to Sextant' }).waitFor());
    await expectAccessible(page, 'login');
    await screenshot(page, 'login');
    await page.getByLabel('Token').fill('sxt_not-a-token');
    await page.getByLabel('Token').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'That token was refused.' }).waitFor();

    await page.getByLabel('Token').fill(viewer);
    await page.getByLabel('Token').press('Enter');
    await page.getByRole('heading', { name: DEMO, level: 1 }).waitFor();
    await page.getByText('token:ann · viewer').waitFor();
    for (const name of ['Start canary', 'Promote', 'Abort canary', 'Roll back']) {
      expect(await page.getByRole('button', { name, exact: true }).isDisabled(), name).toBe(true);
    }
    expect(await page.getByRole('button', { name: 'Start canary' }).getAttribute('title')).toMatch(/Your role on breast-cancer \(viewer\) cannot change deployments; deployer can/);
    const refused = await createClient({ baseUrl: url, token: viewer }).deployments.canary(DEMO, { version: 1, weight: 5 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SextantError);
    expect((refused as SextantError).status).toBe(403);
    await expectAccessible(page, 'deployment as a viewer');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').fill(deployer);
    await page.getByLabel('Token').press('Enter');
    await page.getByText('token:dee · deployer').waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Start canary' }).isDisabled()).toBe(false);
  });
});
