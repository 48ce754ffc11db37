/**
 * The report of `npm run demo -- --quick` in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core): no console errors, no page errors, no request leaving the file, every chart
 * laid out with a non-zero size and drawn marks; a full-page screenshot is written next to it.
 * Skips (visibly) where Chromium is not installed.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runQuickDemo } from './quick-run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`report-chromium.test: skipped — no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);

describe.skipIf(!available)('report.html in headless Chromium', () => {
  it('opens without errors and renders every chart', async () => {
    const run = await runQuickDemo();
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const report = join(run.outDir, 'report.html');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
      const charts = await page.$$eval('svg.chart', (nodes) =>
        nodes.map((n) => {
          const box = n.getBoundingClientRect();
          return { id: n.getAttribute('data-chart'), width: box.width, height: box.height, marks: n.querySelectorAll('polyline.series, rect.bar, circle').length };
        }),
      );
      const shot = join(run.outDir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(errors).toEqual([]);
      expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
      expect(charts.length).toBeGreaterThanOrEqual(10);
      for (const c of charts) {
        expect(c.width, `chart ${c.id}`).toBeGreaterThan(100);
        expect(c.height, `chart ${c.id}`).toBeGreaterThan(100);
        expect(c.marks, `chart ${c.id} draws nothing`).toBeGreaterThan(0);
      }
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  }, 420_000);
});
