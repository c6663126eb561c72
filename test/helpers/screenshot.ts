// Saves a screenshot of a viewer URL as a person would see it: `node --import tsx test/helpers/screenshot.ts <url> out.png`.
import {launchChromium} from './chromium.ts';

const [url, out = 'viewer.png'] = process.argv.slice(2);
if (!url) {
  console.error('usage: screenshot.ts <url> [out.png]');
  process.exit(2);
}
const browser = await launchChromium();
const page = await browser.newPage({viewport: {width: 1280, height: 900}});
await page.goto(url);
await page.waitForFunction(() => (window as unknown as {viewer?: {isReady(): boolean}}).viewer?.isReady(), undefined, {timeout: 120_000});
await page.screenshot({path: out});
await browser.close();
console.log(`wrote ${out}`);
