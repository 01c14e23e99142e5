/// <reference lib="dom" />
import type { Browser, Page } from 'puppeteer-core';
import type { Demo } from '../e2e/demo-harness.js';
import { launchChromium } from '../support/chromium.js';

/**
 * The demo's payment window in a real browser (Debian's Chromium, headless): with
 * PAYMENT_WINDOW=3 (seconds) the console counts down a new order's deadline, and the order turns
 * cancelled by the server's timer (`system:timer`) without a click; an order paid in time shows
 * no deadline any more and stays paid.
 */
const WINDOW_S = 3;

describe('the console counts down the payment window', () => {
  let demo: Demo;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  beforeAll(async () => {
    chromium = await launchChromium();
    browser = chromium.browser;
    // The order's machine is made when its module loads: the window is set before.
    process.env.PAYMENT_WINDOW = String(WINDOW_S);
    const { startDemo } = await import('../e2e/demo-harness.js');
    demo = await startDemo('express');
  }, 60_000);
  afterAll(async () => {
    delete process.env.PAYMENT_WINDOW;
    await chromium?.close();
    await demo?.close();
  });

  const newOrder = async (page: Page) => {
    await page.click('#new-order button');
    await page.waitForSelector('#detail[data-rendered="pending@0"]');
  };
  const deadline = (page: Page) =>
    page.$eval('#deadline', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent }));

  it('cancels an unpaid order when its window ends, and shows it counting down', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(demo.url, { waitUntil: 'networkidle0' });
    await newOrder(page);
    const shown = await deadline(page);
    expect(shown.hidden).toBe(false);
    const left = Number(/Cancelled in (\d+) s unless paid/.exec(shown.text ?? '')?.[1]);
    expect(left).toBeGreaterThanOrEqual(1);
    expect(left).toBeLessThanOrEqual(WINDOW_S);
    // Counting down: a second later it says less.
    await page.waitForFunction(
      (first: number) => {
        const m = /in (\d+) s/.exec(document.querySelector('#deadline')?.textContent ?? '');
        return m !== null && Number(m[1]) < first;
      },
      { timeout: 5000 },
      left,
    );
    // No click: the server's timer cancels it, the console reads it again and shows it.
    await page.waitForSelector('#detail[data-rendered="cancelled@1"]', { timeout: 15_000 });
    expect((await deadline(page)).hidden).toBe(true);
    expect(await page.$$eval('#history li', (items) => items.map((i) => i.textContent))).toEqual([
      'v1 after PAYMENT_WINDOW: pending → cancelled by system:timer',
    ]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('disarms the window when the order is paid in time', async () => {
    const page = await browser.newPage();
    await page.goto(demo.url, { waitUntil: 'networkidle0' });
    await page.$eval(
      '#new-order input[name="total"]',
      (e) => ((e as HTMLInputElement).value = '100'),
    );
    await newOrder(page);
    await page.type('#events form[data-event="PAY"] input[name="amount"]', '100');
    await page.click('#events form[data-event="PAY"] button');
    await page.waitForSelector('#detail[data-rendered="paid@1"]');
    expect((await deadline(page)).hidden).toBe(true);
    const id = await page.$eval('#title', (e) => e.textContent?.split(' ')[1]);
    // Past the window it is still paid, and the API shows no timer for it.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000 + 1500));
    // (as the console's user: the order is ann's)
    const got = await (
      await fetch(`${demo.url}/orders/${id}`, { headers: { 'x-user-id': 'ann' } })
    ).json();
    expect({ state: got.state, timers: got.timers }).toEqual({ state: 'paid', timers: [] });
  }, 60_000);
});
