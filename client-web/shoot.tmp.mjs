import { chromium } from 'playwright-core';
const url = process.argv[2];
const out = '/tmp/shots/';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'] });
const devices = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 },
  land: { viewport: { width: 844, height: 390 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 },
};
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
for (const [dev, opts] of Object.entries(devices)) {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  await page.goto(url);
  await page.fill('#player-name', `Ann-${dev}`);
  await wait(600);
  await page.screenshot({ path: `${out}${dev}-lobby.png` });
  for (const game of ['arena', 'tag']) {
    await page.selectOption('#lobby-game', game);
    await page.fill('#lobby-name', `${game} ${dev}`);
    await page.click('#create-form button[type=submit]');
    await page.waitForFunction(() => window.tickwire.state().screen === 'game');
    await wait(800);
    await page.screenshot({ path: `${out}${dev}-${game}.png` });
    await page.click('#netgraph-toggle');
    await wait(2500);
    await page.screenshot({ path: `${out}${dev}-${game}-net.png` });
    await page.click('#netgraph-toggle');
    await page.click('#leave');
    await page.waitForFunction(() => window.tickwire.state().screen === 'lobby');
  }
  await wait(2500);
  await page.screenshot({ path: `${out}${dev}-lobby-list.png` });
  await ctx.close();
}
await browser.close();
