/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { startDemo, type Demo } from '../e2e/demo-harness.js';
import { launchChromium } from '../support/chromium.js';

/**
 * The demo's console in a real browser (Debian's Chromium, headless, driven by puppeteer-core):
 * create an order, pay it, cancel it; SHIP is then disabled with the final-state reason and the
 * diagram highlights `cancelled`. Screenshots go to .screenshots/ (git-ignored).
 */
const SHOTS = join(process.cwd(), '.screenshots');

describe('the console in a browser', () => {
  let demo: Demo;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  beforeAll(async () => {
    chromium = await launchChromium();
    browser = chromium.browser;
    demo = await startDemo('express');
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await demo?.close();
  });

  const summary = (page: Page) => page.$eval('#summary', (e) => e.textContent ?? '');
  const eventForm = (event: string) => `#events form[data-event="${event}"]`;

  it('pays and cancels an order; SHIP is disabled as final, the diagram highlights cancelled', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(demo.url, { waitUntil: 'networkidle0' });
    await page.$eval(
      '#new-order input[name="total"]',
      (e) => ((e as HTMLInputElement).value = '100'),
    );
    await page.click('#new-order button');
    await page.waitForSelector('#detail[data-rendered="pending@0"]');
    await page.screenshot({ path: join(SHOTS, 'console-new-order.png') });

    await page.type(`${eventForm('PAY')} input[name="amount"]`, '100');
    await page.click(`${eventForm('PAY')} button`);
    await page.waitForSelector('#detail[data-rendered="paid@1"]');
    await page.click(`${eventForm('CANCEL')} button`);
    await page.waitForSelector('#detail[data-rendered="cancelled@2"]');
    // The list on the left follows: the order's entry now reads cancelled.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#orders button')].some((b) =>
        b.textContent?.endsWith(': cancelled'),
      ),
    );
    await page.screenshot({ path: join(SHOTS, 'console-cancelled.png'), fullPage: true });

    expect(await summary(page)).toContain('state cancelled');
    const ship = await page.$eval(eventForm('SHIP'), (form) => ({
      disabled: (form.querySelector('button') as HTMLButtonElement).disabled,
      why: form.querySelector('.why')?.textContent,
    }));
    expect(ship).toEqual({ disabled: true, why: 'final state' });
    // The diagram is Mermaid's SVG, with the current state's node in the highlight class.
    const highlighted = await page.$$eval('#diagram svg .highlight', (nodes) =>
      nodes.map((n) => n.textContent?.trim()),
    );
    expect(highlighted).toEqual(['cancelled']);
    // The history, newest first, by the console's user.
    expect(await page.$$eval('#history li', (items) => items.map((i) => i.textContent))).toEqual([
      'v2 CANCEL: paid → cancelled by ann',
      'v1 PAY: pending → paid by ann',
    ]);
    // The last answer shown is the CANCEL's 200.
    expect(await page.$eval('#answer', (e) => e.textContent)).toMatch(/^200\n/);
    expect(errors).toEqual([]);
  }, 60_000);
});
