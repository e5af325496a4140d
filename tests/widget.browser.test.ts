import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import { createOrganization } from '../core/organizations.ts';
import { loadConfig } from '../server/config.ts';
import { type RunningServer, startServer } from '../server/start-server.ts';
import { launchChromium } from './support/browser.ts';

/** The widget as a prospect meets it: on the demo page, in Debian's Chromium. */
const artifacts = path.resolve('test-artifacts');
let dataDir: string;
let server: RunningServer;
let browser: Browser;
let port: number;

async function start(): Promise<RunningServer> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  });
  return startServer(config, pino({ level: 'silent' }));
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'qh-widget-'));
  await mkdir(artifacts, { recursive: true });
  port = 0;
  server = await start();
  port = server.port;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const chat = (page: Page) => page.frameLocator('iframe[title="Chat"]');

async function openDemo(page: Page): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('button[aria-label="Open chat"]').click();
  await chat(page).locator('textarea').waitFor();
}

async function say(page: Page, text: string): Promise<void> {
  await chat(page).locator('textarea').fill(text);
  await chat(page).locator('textarea').press('Enter');
}

/** The conversation's bubbles, in order, without the greeting. */
async function transcript(page: Page): Promise<string[]> {
  const bubbles = await chat(page).locator('.log [data-seq]:not(.system)').allInnerTexts();
  return bubbles.map((text) => text.trim());
}

describe('chat widget on the demo page', () => {
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  it('opens, chats, and streams the reply as it is produced', async () => {
    const deltas: string[] = [];
    page.on('websocket', (socket) =>
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload === 'string' && frame.payload.includes('"delta"'))
          deltas.push(frame.payload);
      }),
    );
    await openDemo(page);
    // Before the prospect says anything: the greeting and the AI disclosure.
    await expect.poll(() => chat(page).locator('.disclosure').innerText()).toMatch(/AI assistant/);
    await say(page, 'Hi! How much is the Growth plan?');
    await expect.poll(() => transcript(page), { timeout: 15_000 }).toHaveLength(2);
    const [question, answer] = await transcript(page);
    expect(question).toBe('Hi! How much is the Growth plan?');
    expect(answer).toMatch(/AI assistant/); // the AI disclosure is said first
    expect(answer).toMatch(/\$99 per user per month/);
    expect(deltas.length).toBeGreaterThan(1);
    await page.screenshot({ path: path.join(artifacts, 'widget-desktop.png') });
  });

  it('keeps the history across a reload', async () => {
    const before = await transcript(page);
    await page.reload();
    await page.locator('button[aria-label="Close chat"]').waitFor(); // it reopens as it was
    await expect.poll(() => transcript(page)).toEqual(before);
  });

  it('renders a script typed by the prospect as inert text', async () => {
    const payload = '<img src=x onerror="window.parent.__xss=1"><script>window.parent.__xss=2</script>';
    await say(page, payload);
    await expect.poll(() => chat(page).locator('.msg.prospect').last().innerText()).toBe(payload);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await chat(page).locator('.log img').count()).toBe(0);
  });

  it('loses nothing across a server restart: messages sent while it is down arrive once, in order', async () => {
    const before = (await transcript(page)).length;
    await server.close();
    await say(page, 'first while offline');
    await say(page, 'second while offline');
    await expect.poll(() => chat(page).locator('[data-pending]').count()).toBe(2);
    server = await start();
    await expect.poll(() => transcript(page), { timeout: 30_000 }).toHaveLength(before + 4);
    const after = await transcript(page);
    const mine = after.filter((text) => text.includes('while offline'));
    expect(mine).toEqual(['first while offline', 'second while offline']);
    expect(await chat(page).locator('[data-pending]').count()).toBe(0);
    // And the server stored each exactly once.
    const stored = await server.db.query<{ body: string }>(
      `select body from messages where body like '%while offline' order by seq`,
    );
    expect(stored.map((row) => row.body)).toEqual(['first while offline', 'second while offline']);
  }, 60_000);

  it('full-screens on a phone', async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await openDemo(phone);
    const box = await phone.locator('iframe[title="Chat"]').boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    await phone.screenshot({ path: path.join(artifacts, 'widget-phone.png') });
    await phone.close();
  });
});

describe('another organization', () => {
  it("never sees the first organization's conversation", async () => {
    const other = await createOrganization(server.db, { name: 'Globex' }, systemActor);
    const page = await browser.newPage();
    // A customer's own site on another origin, embedding Globex's widget.
    const site = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>Globex</title><h1>Globex</h1>
        <script src="http://127.0.0.1:${port}/widget.js" data-key="${other.widgetKey}" async></script>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await page.locator('button[aria-label="Open chat"]').click();
    await chat(page).locator('textarea').waitFor();
    await expect.poll(() => chat(page).locator('header h1').innerText()).toBe('Globex');
    await page.waitForTimeout(500); // time for a (wrong) history sync to arrive
    expect(await transcript(page)).toEqual([]);
    await say(page, 'Hello Globex');
    await expect.poll(() => transcript(page), { timeout: 15_000 }).toHaveLength(2);
    expect((await transcript(page)).join('\n')).not.toMatch(/Growth plan|while offline/);
    await page.close();
    site.close();
  });

  it('refuses a site the organization did not allow', async () => {
    const org = await createOrganization(
      server.db,
      { name: 'Initech', settings: { allowedOrigins: ['https://initech.example'] } },
      systemActor,
    );
    const res = await fetch(
      `http://127.0.0.1:${port}/widget/frame?key=${org.widgetKey}&origin=http://evil.example`,
    );
    expect(res.status).toBe(403);
    const allowed = await fetch(
      `http://127.0.0.1:${port}/widget/frame?key=${org.widgetKey}&origin=https://initech.example`,
    );
    expect(allowed.headers.get('content-security-policy')).toContain(
      'frame-ancestors https://initech.example',
    );

    // The live connection checks again, whatever page opens it.
    const connect = (auth: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = io(`http://127.0.0.1:${port}/widget`, {
          auth: { visitorId: 'visitor-socket-check', ...auth },
          transports: ['websocket'],
          reconnection: false,
        });
        socket.on('connect', () => {
          socket.close();
          resolve('connected');
        });
        socket.on('connect_error', (error) => {
          socket.close();
          resolve(error.message);
        });
      });
    expect(await connect({ key: org.widgetKey, origin: 'http://evil.example' })).toBe(
      'this site may not embed the chat',
    );
    expect(await connect({ key: 'qhw_not-a-key', origin: 'https://initech.example' })).toBe(
      'unknown widget key',
    );
    expect(await connect({ key: org.widgetKey, origin: 'https://initech.example' })).toBe('connected');
  });

  it("shows a visitor's message in their other tabs, and to the sending tab only through its ack", async () => {
    const org = await createOrganization(
      server.db,
      { name: 'Umbrella', settings: { allowedOrigins: ['https://umbrella.example'] } },
      systemActor,
    );
    const tab = () => {
      const socket = io(`http://127.0.0.1:${port}/widget`, {
        auth: { key: org.widgetKey, visitorId: 'visitor-two-tabs', origin: 'https://umbrella.example' },
        transports: ['websocket'],
        reconnection: false,
      });
      const received: { body: string; sender: string }[] = [];
      socket.on('message', (message) => received.push(message));
      return {
        socket,
        received,
        ready: new Promise<void>((resolve) => socket.once('connect', () => resolve())),
      };
    };
    const [sending, other] = [tab(), tab()];
    await Promise.all([sending.ready, other.ready]);
    const ack = await sending.socket
      .timeout(10_000)
      .emitWithAck('send', { clientId: 'two-tabs-1', body: 'Hello from one tab' });
    expect(ack).toMatchObject({ ok: true, message: { body: 'Hello from one tab', clientId: 'two-tabs-1' } });
    // Both tabs get the agent's answer; only the other tab needs the prospect's own message.
    const answered = (t: typeof sending) => t.received.some((m) => m.sender === 'agent');
    await expect.poll(() => answered(sending) && answered(other), { timeout: 15_000 }).toBe(true);
    expect(other.received.filter((m) => m.body === 'Hello from one tab')).toHaveLength(1);
    expect(sending.received.filter((m) => m.sender === 'prospect')).toEqual([]);
    sending.socket.close();
    other.socket.close();
  });
});
