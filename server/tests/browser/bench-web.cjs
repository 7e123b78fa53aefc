// How heavy and how fast the citizen page's first screen is on a cheap phone: /report opened
// cold (a fresh browser context: no cache, no service worker) on a small Android viewport
// under Chromium's CPU throttling ×4 and DevTools' "Fast 3G" network (562.5 ms round trip,
// 1.44 Mbit/s down, 675 kbit/s up), RUNS times. For each run: the bytes that crossed the
// network until the first step was usable (compressed, headers included, every request: the
// page, its script and styles, the rules it reads) and the time from navigation until the
// page had read its rules and the first step's controls work (`body[data-ready="1"]`, stamped
// by the page's own clock). Prints a table and the median; figures go in docs/benchmarks.md by
// hand. Run by scripts/bench-web.
"use strict";

const { check, launch, phoneContext } = require("./support.cjs");

const base = process.env.GRIDLINE_URL;
const RUNS = Number(process.env.RUNS || 7);
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 / 8) * 0.9, uploadThroughput: (750 * 1024 / 8) * 0.9 };

async function once(browser) {
  const context = await phoneContext(browser, "Galaxy S5", { locale: "zh-CN" });
  const page = await context.newPage();
  // The moment the page marks itself ready, on the page's own clock (from navigation start).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body && document.body.dataset.ready === "1") { window.readyAt = performance.now(); observer.disconnect(); }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await cdp.send("Network.emulateNetworkConditions", FAST_3G);
  const transfers = new Map();
  const urls = new Map();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url.replace(base, "")));
  cdp.on("Network.loadingFinished", (e) => transfers.set(e.requestId, e.encodedDataLength));
  await page.goto(base + "/report");
  await page.waitForFunction(() => window.readyAt !== undefined, null, { timeout: 30000 });
  const readyMs = await page.evaluate(() => window.readyAt);
  const bytes = [...transfers.values()].reduce((a, b) => a + b, 0);
  const parts = [...transfers.entries()].map(([id, n]) => `${urls.get(id)} ${n}`).sort();
  await context.close();
  return { readyMs, bytes, parts };
}

async function main() {
  const browser = await launch();
  const runs = [];
  try {
    for (let i = 0; i < RUNS; i++) runs.push(await once(browser));
  } finally {
    await browser.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("run | usable after (ms) | transferred (bytes)");
  runs.forEach((r, i) => console.log(`${i + 1} | ${Math.round(r.readyMs)} | ${r.bytes}`));
  console.log("first run's requests (bytes on the wire):\n  " + runs[0].parts.join("\n  "));
  const ms = median(runs.map((r) => r.readyMs));
  const kb = median(runs.map((r) => r.bytes)) / 1024;
  console.log(`median: usable after ${Math.round(ms)} ms, ${kb.toFixed(1)} KiB transferred (CPU ×4, Fast 3G, cold)`);
  check(runs.every((r) => r.bytes > 0), "bytes were counted");
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
