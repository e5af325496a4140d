import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import { changeDeal, getDeal, openLeadDeal } from '../core/deals/deal-pipeline.ts';
import { demoRepAvailability } from '../core/demo-organization.ts';
import { upsertLead } from '../core/leads.ts';
import { bookMeeting, cancelMeeting } from '../core/meetings/meetings.ts';
import { setRepAvailability } from '../core/meetings/rep-availability.ts';
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

  it("shows the lead's deal and meetings in the lead panel, and moves the deal by its rules", async () => {
    const demo = server.demo!;
    const { orgId } = demo;
    const db = server.db;
    const [dana] = await db.query<{ id: string }>('select id from users where email = $1', [demo.repEmail]);
    const repId = dana!.id;
    const newLead = async (input: {
      email: string;
      firstName: string;
      lastName: string;
      company: string;
    }) => {
      const { lead } = await upsertLead(db, orgId, input, systemActor);
      const [conversation] = await db.query<{ id: string }>(
        `insert into conversations (org_id, contact_id, channel, last_message_at) values ($1, $2, 'web', now())
         returning id`,
        [orgId, lead.id],
      );
      await db.query(
        `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body)
         values ($1, $2, $3, 'inbound', 'web', 'prospect', $4)`,
        [orgId, conversation!.id, lead.id, `Hi, ${input.firstName} from ${input.company} here.`],
      );
      return lead.id;
    };
    const contactId = await newLead({
      email: 'priya@northwind.example',
      firstName: 'Priya',
      lastName: 'Shah',
      company: 'Northwind',
    });
    await newLead({ email: 'sam@contoso.example', firstName: 'Sam', lastName: 'Okafor', company: 'Contoso' });

    const deal = await openLeadDeal(db, {
      orgId,
      contactId,
      amountCents: 1_250_000,
      currency: 'usd',
      ownerId: repId,
      actor: systemActor,
    });
    // Any day, any hour (UTC), so the meetings below are bookable whenever the test runs.
    const allDay = [{ start: '00:00', end: '23:30' }];
    await setRepAvailability(
      db,
      orgId,
      repId,
      {
        timeZone: 'UTC',
        weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
        minNoticeHours: 0,
      },
      systemActor,
    );
    const day = 24 * 3600_000;
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const at = (days: number) => new Date(today + days * day + 14 * 3600_000);
    const now = new Date();
    try {
      const upcoming = await bookMeeting(db, {
        orgId,
        contactId,
        repId,
        startsAt: at(2),
        title: 'Demo <b>for</b> Northwind',
        dealId: deal.id,
        actor: systemActor,
        now,
      });
      const moved = await bookMeeting(db, {
        orgId,
        contactId,
        repId,
        startsAt: at(3),
        title: 'Pricing review',
        actor: systemActor,
        now,
      });
      await cancelMeeting(db, {
        orgId,
        meetingId: moved.id,
        reason: 'moved to the demo',
        actor: systemActor,
        now,
      });
      // Booked a week ago for two days ago: a past meeting.
      const past = await bookMeeting(db, {
        orgId,
        contactId,
        repId,
        startsAt: at(-2),
        title: 'Discovery call',
        actor: systemActor,
        now: new Date(now.getTime() - 7 * day),
      });

      const rep = await browser.newPage({
        viewport: { width: 1400, height: 800 },
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      await rep.goto(`${base}/console`);
      await rep.getByLabel('Email').fill(demo.repEmail);
      await rep.getByLabel('Password').fill(demo.repPassword);
      await rep.getByRole('button', { name: 'Sign in' }).click();

      // A lead without a deal or meetings says so.
      await rep.locator('aside li button', { hasText: 'Sam Okafor' }).click();
      const dealPanel = rep.getByRole('region', { name: 'Deal' });
      const meetingsPanel = rep.getByRole('region', { name: 'Meetings' });
      await expect.poll(() => dealPanel.innerText()).toMatch(/No deal yet/);
      await expect.poll(() => meetingsPanel.innerText()).toMatch(/No meetings/);

      await rep.locator('aside li button', { hasText: 'Priya Shah' }).click();
      await expect.poll(() => rep.locator('.toolbar h2').innerText()).toBe('Priya Shah');
      const stage = rep.getByLabel('Deal stage');
      await expect.poll(() => stage.inputValue()).toBe('qualified');
      expect(await dealPanel.innerText()).toMatch(/Amount\s*\$12,500\b[\s\S]*Owner\s*You \(Dana Rivera\)/);
      expect(await stage.locator('option').allInnerTexts()).toEqual([
        'Open',
        'Qualified',
        'Proposal',
        'Negotiation',
        'Won',
        'Lost',
      ]);

      // Upcoming (soonest first, the cancelled one marked), then past; the title stays text.
      const soon = rep.getByRole('list', { name: 'Upcoming meetings' }).locator('li');
      await expect.poll(() => soon.count()).toBe(2);
      expect(await soon.nth(0).locator('time').first().getAttribute('datetime')).toBe(
        upcoming.startsAt.toISOString(),
      );
      expect(await soon.nth(0).locator('time').last().getAttribute('datetime')).toBe(
        upcoming.endsAt.toISOString(),
      );
      expect(await soon.nth(0).innerText()).toMatch(/Demo <b>for<\/b> Northwind[\s\S]*Booked/);
      expect(await soon.nth(0).innerText()).toMatch(/2:00\s*PM\s*–\s*2:30\s*PM/);
      expect(await meetingsPanel.locator('b').count()).toBe(0);
      expect(await soon.nth(1).getAttribute('data-status')).toBe('cancelled');
      expect(await soon.nth(1).innerText()).toMatch(/Pricing review[\s\S]*Cancelled[\s\S]*moved to the demo/);
      const earlier = rep.getByRole('list', { name: 'Past meetings' }).locator('li');
      expect(await earlier.count()).toBe(1);
      expect(await earlier.first().innerText()).toMatch(/Discovery call[\s\S]*Booked/);
      expect(await earlier.first().locator('time').first().getAttribute('datetime')).toBe(
        past.startsAt.toISOString(),
      );

      // The rep moves the deal: the server has it, with the rep in its history.
      await stage.selectOption('negotiation');
      await expect.poll(async () => (await getDeal(db, orgId, deal.id)).stage).toBe('negotiation');
      expect((await getDeal(db, orgId, deal.id)).history.at(-1)).toMatchObject({
        fromStage: 'qualified',
        toStage: 'negotiation',
        actor: { type: 'rep', id: repId },
      });
      await expect.poll(() => stage.inputValue()).toBe('negotiation');

      // "Lost" asks for the reason first; without one the server's refusal is shown, nothing moves.
      await stage.selectOption('lost');
      const reason = rep.getByLabel('Why was it lost?');
      await expect.poll(() => reason.isVisible()).toBe(true);
      await rep.getByRole('button', { name: 'Mark lost' }).click();
      await expect
        .poll(() => dealPanel.locator('.panel-error').innerText())
        .toMatch(/lostReason.*needs a reason/);
      expect((await getDeal(db, orgId, deal.id)).stage).toBe('negotiation');
      await reason.fill('Went with a spreadsheet');
      await rep.screenshot({ path: 'test-artifacts/console-deal-meetings.png' });
      await rep.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => reason.count()).toBe(0);
      expect(await stage.inputValue()).toBe('negotiation');

      await stage.selectOption('lost');
      await reason.fill('Went with a <i>spreadsheet</i>');
      await rep.getByRole('button', { name: 'Mark lost' }).click();
      await expect.poll(async () => (await getDeal(db, orgId, deal.id)).stage).toBe('lost');
      expect((await getDeal(db, orgId, deal.id)).lostReason).toBe('Went with a <i>spreadsheet</i>');
      await expect.poll(() => dealPanel.innerText()).toMatch(/Lost: Went with a <i>spreadsheet<\/i>/);
      expect(await dealPanel.locator('.panel-error').count()).toBe(0);

      // "Won" asks to confirm, since it is final; cancelling leaves the deal as it was.
      await stage.selectOption('won');
      await expect.poll(() => dealPanel.innerText()).toMatch(/once won, its stage cannot change/);
      await rep.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => stage.inputValue()).toBe('lost');
      expect(await rep.getByRole('button', { name: 'Mark won' }).count()).toBe(0);

      // Won meanwhile elsewhere (a payment): the rep's move is refused (409), and the panel shows why
      // and the deal as it now is, its stage final.
      await changeDeal(db, { orgId, dealId: deal.id, patch: { stage: 'won' }, actor: systemActor });
      await stage.selectOption('negotiation');
      await expect
        .poll(() => dealPanel.locator('.panel-error').innerText())
        .toBe('a won deal is final: its stage cannot change');
      await expect.poll(() => stage.inputValue()).toBe('won');
      expect(await stage.isDisabled()).toBe(true);
      expect(await dealPanel.getByText(/won deal is final/i).count()).toBe(1);
      expect((await getDeal(db, orgId, deal.id)).stage).toBe('won');
      await rep.screenshot({ path: 'test-artifacts/console-deal-won.png' });
    } finally {
      await setRepAvailability(db, orgId, repId, demoRepAvailability, systemActor);
    }
  }, 90_000);

  it('refuses the console API without a session', async () => {
    const res = await fetch(`${base}/console/api/conversations`);
    expect(res.status).toBe(401);
  });
});
