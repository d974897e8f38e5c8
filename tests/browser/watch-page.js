// The browser client of scripts/collector-throughput.sh: opens the collector's live page
// in headless chromium, prints "live" once its event stream is connected, then waits
// until the page's accepted counter shows N and prints "shown N at EPOCH_MS" (the wall
// clock, for the script to compare with the end of the delivery).
//
//   node tests/browser/watch-page.js PAGE_URL N PROFILE_DIR
'use strict';

const { launch } = require('./chromium.js');

async function main() {
  const [url, expected, dir] = process.argv.slice(2);
  if (!url || !expected || !dir) throw new Error('usage: watch-page.js PAGE_URL N PROFILE_DIR');
  const browser = await launch(dir);
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 30000 });
    console.log('live');
    await page.waitForFunction(
      (n) => {
        const counter = document.querySelector('[data-testid="counter-accepted"]');
        return counter !== null && counter.textContent.replace(/\D/g, '') === n;
      },
      expected,
      { timeout: 600000, polling: 100 },
    );
    console.log(`shown ${expected} at ${Date.now()}`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
