// The dashboard's first screen at city scale (run by scripts/bench-dashboard, which starts a
// release server with the city imported). Seeds $CASES reports through the public API, then
// measures, in headless Chromium, the time from submitting the sign-in form until the map is
// drawn and every KPI tile holds a figure, for the admin (whole city) and a dispatcher (one
// street), three times each; and the size and latency of the map's data calls.
"use strict";

const { request, signIn, launch, middleOf } = require("./support.cjs");

const base = process.env.GRIDLINE_URL;
const CASES = Number(process.env.CASES);
const CELLS = Number(process.env.CELLS);
const DEVICES = 10; // under the per-address limit on new anonymous accounts
const CONCURRENCY = 48;

async function timed(label, fn) {
  const t0 = performance.now();
  const out = await fn();
  return [label, performance.now() - t0, out];
}

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  let layer;
  for (let i = 0; i < 100; i++) {
    layer = (await request("/api/v1/dashboard/cells", { token: admin })).json;
    if (layer.cells.length === CELLS) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (layer.cells.length !== CELLS) throw new Error(`the server routes ${layer.cells.length} cells, not ${CELLS}`);
  const centres = layer.cells.map((c) => middleOf(layer, c));

  const devices = [];
  for (let i = 0; i < DEVICES; i++) devices.push((await request("/api/v1/auth/anonymous", { method: "POST" })).json.access_token);
  const categories = ["E0101", "E0102", "E0103"];
  let next = 0, done = 0;
  const started = performance.now();
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= CASES) return;
      const { lat, lon } = centres[(i * 7919) % centres.length];
      await request("/api/v1/reports", {
        token: devices[i % DEVICES], method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
        body: { category: categories[i % 3], description: "bench " + i, position: { lat, lon, crs: "wgs84", accuracy_m: 5 } },
      });
      done += 1;
      if (done % 10000 === 0) console.log(`  seeded ${done} reports (${Math.round(done / ((performance.now() - started) / 1000))}/s)`);
    }
  }
  if (CASES > 0) {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`seeded ${CASES} reports in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  for (const [who, token] of [["admin", admin], ["dispatcher", dispatcher]]) {
    for (const [label, ms, out] of [
      await timed("cells", () => request("/api/v1/dashboard/cells", { token })),
      await timed("counts", () => request("/api/v1/dashboard/counts", { token })),
      await timed("cases (first page)", () => request("/api/v1/cases", { token })),
      await timed("stats (30 days by day)", () => {
        const to = new Date(), from = new Date(to.getTime() - 29 * 86400000);
        return request(`/api/v1/stats?from=${from.toISOString().slice(0, 10)}&to=${to.toISOString().slice(0, 10)}&group_by=day`, { token });
      }),
    ]) console.log(`${who}: GET ${label}: ${ms.toFixed(0)} ms, ${(out.bytes / 1024).toFixed(0)} KiB`);
  }

  const browser = await launch();
  try {
    for (const [who, l, p] of [["admin", process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD],
                               ["dispatcher", process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD]]) {
      const times = [];
      for (let run = 0; run < 3; run++) {
        const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
        const page = await context.newPage();
        await page.goto(base + "/dashboard");
        await page.fill("#login", l);
        await page.fill("#password", p);
        const t0 = Date.now();
        await page.click("#signin-submit");
        // Usable: the scope's cells drawn in their colours and the live-count tiles filled.
        await page.waitForFunction(() => {
          const status = document.querySelector("#map-status").textContent;
          const open = document.querySelector('.kpi[data-kpi="k_open"] .value');
          return /^\d+ /.test(status) && view !== null && open && open.textContent !== "";
        }, null, { timeout: 60000, polling: 20 });
        const usable = Date.now() - t0;
        // Complete: the statistics' tiles hold figures too.
        await page.waitForFunction(() => {
          const tiles = [...document.querySelectorAll(".kpi .value")];
          return tiles.length >= 10 && tiles.every((t) => t.textContent !== "…");
        }, null, { timeout: 60000, polling: 20 });
        times.push([usable, Date.now() - t0]);
        const shown = await page.locator("#map-status").innerText();
        if (run === 0) console.log(`${who}: map shows ${shown}`);
        await context.close();
      }
      console.log(`${who}: first screen usable after ${times.map((t) => t[0] + " ms").join(", ")} (sign-in submit → map drawn, live counts shown)`);
      console.log(`${who}: every tile filled after ${times.map((t) => t[1] + " ms").join(", ")} (statistics of the last 30 days read)`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("bench-dashboard: " + (e.stack || e)); process.exit(1); });
