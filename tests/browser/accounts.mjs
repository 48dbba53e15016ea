// A real browser through the accounts plugin: register, be sent to the login page by /me,
// log in, see /me, log out, and be sent back to the login page. Run by tests/e2e/browser.rs:
//   node accounts.mjs BASE_URL SCREENSHOT.png
// Prints one JSON line with what /me showed; any failed expectation exits non-zero.
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const account = 'browser user';
const password = 'a long password';

function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}

async function submit(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    await page.fill(`input[name=${name}]`, value);
  }
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

const browser = await chromium.launch({
  executablePath: process.env.GALE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();

  await page.goto(`${base}/register`);
  await submit(page, { account, password });
  expect((await page.textContent('#account')) === account, 'the registered account');

  await page.goto(`${base}/me`);
  expect(page.url() === `${base}/login?next=%2Fme`, `/me to send us to the login page, not ${page.url()}`);
  await submit(page, { account, password });
  expect(page.url() === `${base}/me`, `the login to lead back to /me, not ${page.url()}`);
  const shown = { account: await page.textContent('#account'), uuid: await page.textContent('#uuid') };
  expect(shown.account === account, 'the account on /me');
  await page.screenshot({ path: screenshot, fullPage: true });

  const session = (await context.cookies()).find((cookie) => cookie.name === 'gale_session');
  expect(session && session.httpOnly && session.sameSite === 'Lax', 'an HttpOnly, SameSite=Lax session cookie');
  expect(await page.evaluate(() => !document.cookie.includes('gale_session')), 'the session hidden from scripts');

  await Promise.all([page.waitForNavigation(), page.click('text=Log out')]);
  expect(page.url() === `${base}/login`, `the logout to lead to the login page, not ${page.url()}`);
  await page.goto(`${base}/me`);
  expect(page.url() === `${base}/login?next=%2Fme`, 'the logged-out /me to send us to the login page');

  console.log(JSON.stringify(shown));
} finally {
  await browser.close();
}
