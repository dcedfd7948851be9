import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecrets, repoRoot, startStack, type Stack } from '@helix/testing';

/**
 * apps/console/README.md: the web console in Debian's Chromium (playwright-core), against the real built stack
 * (two runners with the vLLM simulator). After every test, the page's DOM, storage, console and
 * network log are searched for every token value used, and no URL carries an API key.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(repoRoot(), '.test-results/console');
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now().toString(36);
const T = {
  first: `hf_consoleFirst${stamp}x`,
  model: `hf_consoleModel${stamp}x`,
  keyboard: `hf_consoleKeyboard${stamp}x`,
};
const ALL_TOKENS = Object.values(T);
const GATED = 'gated/console-demo';
const RUNNERS = ['con-gpu-1', 'con-gpu-2'];
const GLOBAL_FIELD = 'New Hugging Face token for the global scope';

/**
 * The page's globals, for the functions that page.evaluate runs in the browser (the test project is
 * compiled without the DOM library; these declarations are local to this file).
 */
interface PageElement {
  id?: string;
  textContent: string | null;
  value?: number;
  max?: number;
  labels?: ArrayLike<{ textContent: string | null }>;
  getAttribute(name: string): string | null;
}
declare const document: { activeElement: PageElement | null; cookie: string };
declare const window: Record<string, unknown>;
declare const localStorage: Record<string, string> & { length: number };
declare const sessionStorage: Record<string, string> & { length: number };

const axeSource = readFileSync(join(repoRoot(), 'node_modules/axe-core/axe.min.js'), 'utf8');
/** Waits for live updates (the console polls once a second); a bound for a hung run, not a timing assertion. */
const LIVE = { timeout: 20_000, interval: 100 };

interface Opened {
  context: BrowserContext;
  page: Page;
  console: string[];
  urls: string[];
}

describe('web console (apps/console/README.md) in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let viewer: { id: string; api_key: string };
  const opened: Opened[] = [];

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does it)`).toBe(true);
    expect(existsSync(join(repoRoot(), 'dist/apps/console/index.html')), 'the console is not built: npm run build').toBe(true);
    mkdirSync(SHOTS, { recursive: true });
    const gated = { VLLM_SIM_GATED: 'gated/*', VLLM_SIM_VALID_TOKENS: ALL_TOKENS.join(',') };
    [stack, browser] = await Promise.all([
      startStack({ runners: RUNNERS.map((id) => ({ id, memory: '80GB', env: gated })) }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
    ]);
    viewer = (await stack.api('POST', '/api/v1/users', { name: 'console-viewer', admin: false })).body;
  });

  afterAll(async () => {
    await browser?.close();
    // Nothing the stack logged or answered carries a token either.
    if (stack) await assertNoSecrets(ALL_TOKENS, { texts: stack.texts() });
    await stack?.stop();
  });

  /** A fresh browser tab (its own storage), with its console and every request it makes recorded. */
  const open = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const entry: Opened = { context, page, console: [], urls: [] };
    page.on('console', (m) => entry.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => entry.console.push(`pageerror: ${e.message}`));
    page.on('request', (r) => entry.urls.push(r.url()));
    opened.push(entry);
    return page;
  };

  afterEach(async () => {
    const texts: Array<{ label: string; text: string }> = [];
    for (const o of opened.splice(0)) {
      if (!o.page.isClosed()) {
        texts.push({ label: 'DOM', text: await o.page.content() });
        const storage = await o.page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
        texts.push({ label: 'storage', text: storage });
        expect(JSON.parse(storage).local).toEqual({});
      }
      texts.push({ label: 'console', text: o.console.join('\n') }, { label: 'network log', text: o.urls.join('\n') });
      // No API key in any URL, no request to anything but the gateway (no CDN), no CSP violation.
      for (const url of o.urls) {
        for (const key of [stack.adminKey, viewer.api_key]) expect(url).not.toContain(key);
        expect(url.startsWith(`${stack.url}/`) || url.startsWith('data:'), url).toBe(true);
      }
      expect(o.console.filter((l) => /Content Security Policy|pageerror/i.test(l))).toEqual([]);
      await o.context.close();
    }
    await assertNoSecrets(ALL_TOKENS, { texts });
  });

  const signIn = async (page: Page, key: string) => {
    await page.goto(`${stack.url}/console/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  };

  /** axe-core in the page: no serious or critical accessibility violation. */
  const expectAccessible = async (page: Page, what: string) => {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run(ctx: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }> };
        }
      ).axe;
      const result = await axe.run(document);
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target) }));
    });
    expect(violations, what).toEqual([]);
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** Presses Tab until the focused element's label or text is `name`; fails after `max` presses. */
  const tabTo = async (page: Page, name: string, max = 40): Promise<number> => {
    for (let presses = 1; presses <= max; presses++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return '';
        return (el.labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
      });
      if (focused === name) return presses;
    }
    throw new Error(`"${name}" not reached with ${max} presses of Tab`);
  };

  /** Opens a screen from the navigation bar. */
  const go = (page: Page, screen: string) => page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: screen, exact: true }).click();

  const syncCount = (page: Page) => page.getByTestId('sync-count');

  it('serves the console at /console/ (and redirects / there) with a strict CSP and the other security headers, on the API too', async () => {
    const root = await fetch(`${stack.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const html = await fetch(`${stack.url}/console/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await html.text();
    // Scripts only from files of this origin: no inline script in the page.
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = body.match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
    expect(asset).toBeDefined();
    const responses = [
      html,
      await fetch(`${stack.url}${asset}`),
      await fetch(`${stack.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${stack.adminKey}` } }),
    ];
    for (const res of responses) {
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(' ')]),
      );
      expect(directives).toMatchObject({
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self'",
        'connect-src': "'self'",
        'object-src': "'none'",
        'frame-ancestors': "'none'",
      });
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('sign in: a wrong key gets a clear message, the right key opens the overview; the key stays in session storage only; sign out forgets it', async () => {
    const page = await open();
    await page.goto(`${stack.url}/console/`);
    await expectAccessible(page, 'sign-in screen');
    await page.getByLabel('API key').fill('hl-not-a-real-key-000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), LIVE).toContain('That API key was not accepted (401)');
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    await shot(page, 'sign-in-wrong-key');

    let started = Date.now();
    await page.getByLabel('API key').fill(stack.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await syncCount(page).waitFor();
    const afterSignIn = Date.now() - started;
    expect(await page.evaluate(() => ({ session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie }))).toEqual({
      session: [stack.adminKey],
      local: 0,
      cookie: '',
    });

    // A new page load in the same tab stays signed in (session storage) and renders the overview.
    started = Date.now();
    await page.goto(`${stack.url}/console/`);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const heading = Date.now() - started;
    await expect.poll(() => syncCount(page).textContent(), LIVE).toBe(`${RUNNERS.length}/${RUNNERS.length}`);
    const withData = Date.now() - started;
    console.log(
      `[console] time to first render of the overview: ${heading} ms to the heading, ${withData} ms to the runners' sync count (page load); ${afterSignIn} ms from pressing Sign in`,
    );
    await expectAccessible(page, 'overview');
    await shot(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('a non-admin sees no admin controls, and an admin-only screen shows the API 403 text, not a blank page', async () => {
    const page = await open();
    await signIn(page, viewer.api_key);
    const nav = page.getByRole('navigation', { name: 'Screens' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Tokens', 'Models']);
    await page.getByText('shown to admins only').waitFor();
    expect(await page.getByLabel(GLOBAL_FIELD).count()).toBe(0);
    expect(await page.getByTestId('sync-count').count()).toBe(0);

    // Forms for the scopes this user may change: their own token, their model's; an org's only as its owner.
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'console-team' })).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/orgs/console-team/members/${viewer.id}`, { role: 'member' })).status).toBe(200);
    const own = { id: 'viewer/own-model', name: 'Own', type: 'embed', runtime: 'vllm', memory: '1GB', enabled: false, owner_id: viewer.id };
    expect((await stack.api('POST', '/api/v1/models', own)).status).toBe(201);
    await page.goto(`${stack.url}/console/#/tokens`);
    await page.getByLabel('New Hugging Face token for your user').waitFor();
    await page.getByLabel('New Hugging Face token for model viewer/own-model').waitFor();
    const team = page.getByRole('region', { name: 'Org console-team (console-team)' });
    await team.getByText("Only the org's owners and admins may change this token.").waitFor();
    expect(await page.getByLabel(GLOBAL_FIELD).count()).toBe(0);
    expect(await page.getByText("Another user's token").count()).toBe(0);
    expect(await team.getByRole('textbox').count()).toBe(0);
    // Made an owner, the org's form appears (no reload).
    expect((await stack.api('PUT', `/api/v1/orgs/console-team/members/${viewer.id}`, { role: 'owner' })).status).toBe(200);
    await page.getByLabel('New Hugging Face token for org console-team').waitFor();

    await page.goto(`${stack.url}/console/#/audit`);
    const refusal = page.getByRole('alert');
    await expect.poll(() => refusal.textContent(), LIVE).toMatch(/^Audit log: Admin privileges are required.*\(403\)$/);
    expect(await page.getByRole('table').count()).toBe(0);
    await expectAccessible(page, 'non-admin audit screen');
    await shot(page, 'non-admin-403');
  });

  it('setting the global token: the fingerprint appears, the field is emptied, the in-sync count goes k/n → n/n live; clearing asks first', async () => {
    const page = await open();
    await signIn(page, stack.adminKey);
    await expect.poll(() => syncCount(page).textContent(), LIVE).toBe('2/2');
    // A marker that a reload would lose: every change below must arrive without one.
    await page.evaluate(() => (window.marker = 42));

    // One runner is frozen (SIGSTOP): it cannot apply the new version until it resumes.
    const slow = stack.runners.get(RUNNERS[1])!;
    process.kill(slow.pid, 'SIGSTOP');
    try {
      const field = page.getByLabel(GLOBAL_FIELD);
      await field.fill(T.first);
      await page.getByRole('button', { name: 'Set token' }).click();
      await page.getByText(`Token set for the global scope: fingerprint ${fp(T.first)}`).waitFor();
      expect(await field.inputValue()).toBe('');
      await page
        .locator('.details dd', { hasText: fp(T.first) })
        .first()
        .waitFor();
      await expect.poll(() => syncCount(page).textContent(), LIVE).toBe('1/2');
      expect(await page.locator('#sync-bar').evaluate((el) => [(el as unknown as PageElement).value, (el as unknown as PageElement).max])).toEqual([1, 2]);
      await page.getByText('Rotation in progress: 1 of 2 runners').waitFor();
      await shot(page, 'overview-rotation');
    } finally {
      process.kill(slow.pid, 'SIGCONT');
    }
    await expect.poll(() => syncCount(page).textContent(), LIVE).toBe('2/2');
    await page.getByText('All 2 online runners are in sync').waitFor();
    expect(await page.evaluate(() => window.marker)).toBe(42);

    // Clearing asks first; Cancel keeps the token.
    await page.getByRole('button', { name: 'Clear token…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear the token for the global scope?' });
    await dialog.waitFor();
    await expectAccessible(page, 'clear confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await stack.api('GET', '/api/v1/system/settings')).body.huggingface_token_fingerprint).toBe(fp(T.first));
    await page.getByRole('button', { name: 'Clear token…' }).click();
    await dialog.getByRole('button', { name: 'Clear token', exact: true }).click();
    await page.getByText('Token cleared for the global scope').waitFor();
    expect((await stack.api('GET', '/api/v1/system/settings')).body.huggingface_token_set).toBe(false);
    await expect.poll(() => page.locator('.details dd').first().textContent(), LIVE).toBe('not set');
    await expect.poll(() => syncCount(page).textContent(), LIVE).toBe('2/2');
    expect(await page.evaluate(() => window.marker)).toBe(42);
  });

  it('a gated model without a token shows the hf_auth advice, and starts once a token is set in the console', async () => {
    expect((await stack.api('GET', '/api/v1/system/settings')).body.huggingface_token_set).toBe(false);
    const created = await stack.api('POST', '/api/v1/models', { id: GATED, name: 'Gated demo', type: 'embed', runtime: 'vllm', memory: '1GB' });
    expect(created.status, created.text).toBe(201);
    const page = await open();
    await signIn(page, stack.adminKey);
    await go(page, 'Models');
    const card = page.getByRole('region', { name: GATED });
    await card.getByText('hf_auth', { exact: true }).waitFor({ timeout: 30_000 });
    await card.getByText(/^What to do: No Hugging Face token was available .* Set the token of model gated\/console-demo or the global token/).waitFor();
    await card.getByText('model gated/console-demo: not set').waitFor();
    await expectAccessible(page, 'models screen with an hf_auth slot');
    await shot(page, 'models-hf-auth');

    await go(page, 'Tokens');
    const field = page.getByLabel(`New Hugging Face token for model ${GATED}`);
    await field.fill(T.model);
    await field.press('Enter');
    await page.getByText(`Token set for model ${GATED}: fingerprint ${fp(T.model)}`).waitFor();
    expect(await field.inputValue()).toBe('');
    await expectAccessible(page, 'tokens screen');
    await shot(page, 'tokens');

    await go(page, 'Models');
    const row = card.getByRole('row', { name: new RegExp(`^(${RUNNERS.join('|')}) running model ${fp(T.model)}`) });
    await row.waitFor({ timeout: 30_000 });
    expect(await card.getByText('hf_auth', { exact: true }).count()).toBe(0);
    await card.getByText(`model gated/console-demo: set, ${fp(T.model)} (version 1) — used`).waitFor();
    await shot(page, 'models');
  });

  it('keyboard only: sign in, set the global token, clear it through the confirmation', async () => {
    const page = await open();
    await page.goto(`${stack.url}/console/`);
    await page.getByLabel('API key').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), LIVE).toBe('api-key');
    await page.keyboard.type(stack.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByLabel(GLOBAL_FIELD).waitFor();

    const presses = await tabTo(page, GLOBAL_FIELD);
    await page.keyboard.type(T.keyboard);
    await page.keyboard.press('Enter');
    await page.getByText(`Token set for the global scope: fingerprint ${fp(T.keyboard)}`).waitFor();
    expect(await page.getByLabel(GLOBAL_FIELD).inputValue()).toBe('');
    expect((await stack.api('GET', '/api/v1/system/settings')).body.huggingface_token_fingerprint).toBe(fp(T.keyboard));

    // The Clear button appears with the next refresh of the settings (the token is set now).
    await page.getByRole('button', { name: 'Clear token…' }).waitFor();
    await tabTo(page, 'Clear token…', 5);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // The safe choice has the focus; Shift+Tab reaches the clearing one.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Clear token');
    await page.keyboard.press('Enter');
    await page.getByText('Token cleared for the global scope').waitFor();
    expect((await stack.api('GET', '/api/v1/system/settings')).body.huggingface_token_set).toBe(false);
    console.log(`[console] keyboard: the global token field is ${presses} Tab presses from the top of the overview`);
  });

  it('runners and audit screens: live data, accessible; the Swagger UI keeps working under its own policy', async () => {
    const page = await open();
    await signIn(page, stack.adminKey);
    await go(page, 'Runners');
    for (const id of RUNNERS) await page.getByRole('rowheader', { name: id }).waitFor();
    await expectAccessible(page, 'runners screen');
    await shot(page, 'runners');

    await go(page, 'Audit log');
    await page.getByRole('cell', { name: 'token.clear' }).first().waitFor();
    // A change made elsewhere shows up without a reload.
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'console-live' })).status).toBe(201);
    await page.getByRole('cell', { name: 'org:console-live' }).waitFor();
    await page.getByLabel('Action').selectOption('org.create');
    await page.getByLabel('Target').fill('org:console-live');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody tr').count(), LIVE).toBe(1);
    await expectAccessible(page, 'audit screen');
    await shot(page, 'audit');

    const docs = await open();
    await docs.goto(`${stack.url}/api/docs`);
    await docs.getByText('/api/v1/system/settings').first().waitFor();
  });
});
