// A real browser through the chat plugin: three pages, one per transport (WebSocket, long
// polling, server-sent events), each sends a message and every page shows all three in the
// same order. Run by tests/e2e/browser.rs, also over HTTPS (the test's own CA, which
// Chromium is told to accept) to see the pages come over HTTP/2:
//   node chat.mjs BASE_URL SCREENSHOT.png
// Prints one JSON line with what each page shows; any failed expectation exits non-zero.
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const transports = ['ws', 'poll', 'sse'];

function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.GALE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const pages = [];
  for (const transport of transports) {
    const context = await browser.newContext({ ignoreHTTPSErrors: base.startsWith('https:') });
    const page = await context.newPage();
    await page.goto(`${base}/chat?transport=${transport}`);
    await page.waitForSelector('body[data-ready=yes]');
    pages.push(page);
  }
  for (const [index, page] of pages.entries()) {
    await page.fill('#body', `from ${transports[index]}`);
    await page.press('#body', 'Enter');
    // Each message is seen by every page before the next is sent: one order for all.
    for (const other of pages) {
      await other.waitForFunction((n) => document.querySelectorAll('#messages li').length === n, index + 1);
    }
  }
  const shown = { protocols: {} };
  for (const [index, page] of pages.entries()) {
    shown[transports[index]] = await page.$$eval('#messages li', (items) => items.map((item) => item.textContent));
    shown.protocols[transports[index]] = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  }
  const expected = JSON.stringify(transports.map((transport) => `from ${transport}`));
  for (const transport of transports) {
    expect(JSON.stringify(shown[transport]) === expected, `${transport} to show ${expected}, not ${JSON.stringify(shown[transport])}`);
  }
  await pages[0].screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(shown));
} finally {
  await browser.close();
}
