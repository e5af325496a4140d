import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { type RunningServer, startServer } from '../server/start-server.ts';
import { launchChromium } from './support/browser.ts';

/** A rep takes over a conversation a prospect is having in the widget, live, and hands it back. */
let server: RunningServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'qh-console-'));
  await mkdir('test-artifacts', { recursive: true });
  server = await startServer(
    loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  base = `http://127.0.0.1:${server.port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const chat = (page: Page) => page.frameLocator('iframe[title="Chat"]');
const bubbles = (page: Page) => chat(page).locator('.log [data-seq]:not(.system)').allInnerTexts();

async function say(page: Page, text: string) {
  await chat(page).locator('textarea').fill(text);
  await chat(page).locator('textarea').press('Enter');
}

describe('rep console', () => {
  it('takes over a live widget conversation, replies, and hands back to the agent', async () => {
    const demo = server.demo!;
    const prospect = await browser.newPage();
    await prospect.goto(`${base}/`);
    await prospect.locator('button[aria-label="Open chat"]').click();
    await say(prospect, 'Hi, I run sales ops at a 200-person company.');
    await expect.poll(() => bubbles(prospect), { timeout: 15_000 }).toHaveLength(2);

    // The lead is routed (mode B: the demo org's only rep, Dana).
    const [conversation] = await server.db.query<{ contact_id: string }>(
      `select contact_id from conversations where org_id = $1 and channel = 'web'`,
      [demo.orgId],
    );
    const routed = await fetch(`${base}/api/leads/route`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: conversation!.contact_id }),
    });
    const decision = (await routed.json()) as { mode: string; repId: string; reasons: string[] };
    const [dana] = await server.db.query<{ id: string }>('select id from users where email = $1', [
      demo.repEmail,
    ]);
    expect(decision).toMatchObject({ mode: 'B', repId: dana!.id });

    const rep = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await rep.goto(`${base}/console`);
    await rep.getByLabel('Email').fill(demo.repEmail);
    await rep.getByLabel('Password').fill(demo.repPassword);
    await rep.getByRole('button', { name: 'Sign in' }).click();
    await rep.getByLabel('Assigned to me').check();
    const item = rep.locator('aside li button').first();
    await expect.poll(() => item.innerText()).toMatch(/AI[\s\S]*mine/);
    await item.click();
    await expect.poll(() => rep.locator('.lead').innerText()).toMatch(/Routing · mode B/);
    // No provider keys: the console says which channels only record, and shows what was sent.
    expect(await rep.getByRole('note').innerText()).toMatch(/Recorded only, not sent: .*email \(Resend\)/);
    await expect
      .poll(() => rep.getByLabel('Outbox').innerText())
      .toMatch(/web · conversation reply[\s\S]*sent/);

    await rep.getByRole('button', { name: 'Take over' }).click();
    await expect.poll(() => rep.locator('[data-mode]').getAttribute('data-mode')).toBe('human');
    await expect.poll(() => chat(prospect).locator('.banner').innerText()).toMatch(/Dana Rivera joined/);
    await expect
      .poll(() => chat(prospect).locator('.msg.system').last().innerText())
      .toMatch(/Dana Rivera joined/);

    await rep.getByLabel('Reply').fill('Hi, Dana here — happy to help personally.');
    await rep.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => bubbles(prospect)).toContainEqual(expect.stringContaining('Dana here'));

    // While the rep has it, the agent stays silent.
    await say(prospect, 'Great, what does onboarding look like?');
    await expect.poll(() => rep.locator('.thread').innerText()).toMatch(/onboarding look like/);
    await prospect.waitForTimeout(1500);
    const afterHuman = await bubbles(prospect);
    expect(afterHuman.at(-1)).toMatch(/onboarding look like/);
    await rep.screenshot({ path: 'test-artifacts/console-takeover.png' });

    await rep.getByRole('button', { name: 'Hand back to AI' }).click();
    await expect.poll(() => chat(prospect).locator('.banner').count()).toBe(0);
    await expect
      .poll(() => chat(prospect).locator('.msg.system').last().innerText())
      .toMatch(/AI assistant is back/);
    await say(prospect, 'How long does onboarding take?');
    await expect
      .poll(async () => (await bubbles(prospect)).length, { timeout: 15_000 })
      .toBe(afterHuman.length + 2);
    expect((await bubbles(prospect)).at(-1)).toMatch(/same day|two weeks/i);
  }, 90_000);

  it('puts a prospect who asks for a person at the top with a badge and a live notice; taking over clears it', async () => {
    const demo = server.demo!;
    const rep = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await rep.goto(`${base}/console`);
    await rep.getByLabel('Email').fill(demo.repEmail);
    await rep.getByLabel('Password').fill(demo.repPassword);
    await rep.getByRole('button', { name: 'Sign in' }).click();
    await rep.locator('aside li button').first().waitFor();

    const prospect = await browser.newPage();
    await prospect.goto(`${base}/`);
    await prospect.locator('button[aria-label="Open chat"]').click();
    await say(prospect, 'Can I talk to a real person?');
    await expect.poll(() => bubbles(prospect), { timeout: 15_000 }).toHaveLength(2);

    // Live, without reloading: a notice, and the conversation first in the inbox with its badge.
    const notice = rep.getByRole('status');
    await expect.poll(() => notice.innerText(), { timeout: 15_000 }).toMatch(/waiting for a rep/);
    const first = rep.locator('aside li button').first();
    await expect.poll(() => first.innerText()).toMatch(/Waiting for rep/);
    await notice.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => rep.locator('.thread').innerText()).toMatch(/Can I talk to a real person\?/);
    await expect.poll(() => rep.locator('.toolbar').innerText()).toMatch(/Waiting for rep/);
    await expect.poll(() => rep.locator('.lead').innerText()).toMatch(/Briefing[\s\S]*asked for a person/);
    await rep.screenshot({ path: 'test-artifacts/console-waiting-for-rep.png' });

    await rep.getByRole('button', { name: 'Take over' }).click();
    await expect.poll(() => rep.locator('[data-mode]').getAttribute('data-mode')).toBe('human');
    await expect.poll(() => rep.locator('.toolbar').innerText()).not.toMatch(/Waiting for rep/);
    await expect.poll(() => rep.locator('aside .waiting').count()).toBe(0);
  }, 90_000);

  it('refuses the console API without a session', async () => {
    const res = await fetch(`${base}/console/api/conversations`);
    expect(res.status).toBe(401);
  });
});
