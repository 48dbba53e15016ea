// A real browser on gale's admin page while the server is under load: the charts move, the
// numbers agree with /metrics, and what plugins named (a route pattern that is a script tag,
// a refused file whose name is an <img>) is shown as text and never runs. Run by
// tests/e2e/browser.rs:
//   node admin.mjs ADMIN_URL SCREENSHOT.png SERVER_URL
// Prints one JSON line with what the page and /metrics showed; any failed expectation exits
// non-zero.
import { chromium } from 'playwright-core';

const [admin, screenshot, server] = process.argv.slice(2);
const ROUTE = '/version';

function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}

// Keeps `clients` requests going to `path` until `stop.done`; counts the answers.
function load(path, clients, stop) {
  const answered = { count: 0 };
  const loops = Array.from({ length: clients }, async () => {
    while (!stop.done) {
      const response = await fetch(server + path);
      await response.text();
      answered.count += 1;
    }
  });
  return { answered, done: Promise.all(loops) };
}

// The count of `route`'s requests in /metrics, over every method and status.
async function metricsCount(route) {
  const text = await (await fetch(`${admin}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('gale_http_requests_total{') && line.includes(`route="${route}"`)) {
      total += parseFloat(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

const browser = await chromium.launch({
  executablePath: process.env.GALE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const stop = { done: false };
  const running = load(ROUTE, 4, stop);
  await page.goto(admin);
  const row = `#routes tr[data-route="${ROUTE}"]`;
  // The charts move: the request-rate sparkline has points and a height.
  await page.waitForFunction(
    (selector) => {
      const canvas = document.querySelector(`${selector} canvas`);
      return canvas && Number(canvas.dataset.points) >= 3 && Number(canvas.dataset.max) > 0;
    },
    row,
    { timeout: 20000 },
  );
  const during = {
    rate: Number(await page.textContent(`${row} td.rate`)),
    p50: await page.textContent(`${row} td.p50`),
    p99: await page.textContent(`${row} td.p99`),
  };
  expect(during.rate > 0, `a request rate, not ${during.rate}`);
  expect(/ms$/.test(during.p50) && /ms$/.test(during.p99), `latencies in ms: ${JSON.stringify(during)}`);
  stop.done = true;
  await running.done;

  // Once the load stops, the page's count reaches /metrics' at its next refresh.
  const expected = await metricsCount(ROUTE);
  await page.waitForFunction(
    ([selector, count]) => Number(document.querySelector(`${selector} td.requests`).textContent) === count,
    [row, expected],
    { timeout: 10000 },
  );
  const shown = Number(await page.textContent(`${row} td.requests`));

  // What plugins named is text.
  const markupRoute = '/markup/<script>window.pwned=1</script>';
  const routes = await page.$$eval('#plugins td.route', (cells) => cells.map((cell) => cell.textContent));
  expect(routes.some((text) => text.split('\n').includes(markupRoute)),
    `the markup route shown as text: ${JSON.stringify(routes)}`);
  const names = await page.$$eval('#plugins tr', (rows) => rows.map((r) => r.dataset.plugin));
  const refused = names.find((name) => name && name.startsWith('<img'));
  expect(refused, `the refused file's name shown as text: ${JSON.stringify(names)}`);
  const injected = await page.evaluate(() => ({
    pwned: window.pwned,
    scripts: document.querySelectorAll('table script').length,
    images: document.querySelectorAll('img').length,
  }));
  expect(injected.pwned === undefined && injected.scripts === 0 && injected.images === 0,
    `nothing a plugin named to run: ${JSON.stringify(injected)}`);
  const history = await page.$$eval('#history tbody tr', (rows) => rows.map((r) => r.textContent));
  expect(history.some((text) => text.includes('refused')), `a refusal in the history: ${history}`);
  expect(errors.length === 0, `no script error on the page: ${errors}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ during, shown, metrics: expected, answered: running.answered.count }));
} finally {
  await browser.close();
}
