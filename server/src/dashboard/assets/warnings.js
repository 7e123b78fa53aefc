// Gridline operations dashboard: the early-warning view, loaded after app.js and using its
// helpers (api, el, t, $, draw, view, ctx). What it shows comes from
// GET /api/v1/warnings/charts, within the signed-in account's scope: each cell's reports today
// against its baseline on a CUSUM chart, the signalling cells first, with the last days'
// values; signalling cells are ringed in red on the overview map. It re-reads the charts
// when reports arrive (after app.js re-reads the map's counts). Every rule (the baseline, the
// chart, its limit) is the server's; this page only draws.
"use strict";

Object.assign(TEXT.zh, {
  view_warnings: "预警", warn_places: "各网格预警（CUSUM）", warn_place: "网格", warn_today: "今日报告",
  warn_expected: "今日预期", warn_value: "统计量", warn_limit: "阈值", warn_signal: "预警", warn_days: "近日",
  warn_yes: "是", warn_no: "否", warn_none: "无",
});
Object.assign(TEXT.en, {
  view_warnings: "Warnings", warn_places: "Warnings per cell (CUSUM)", warn_place: "Cell", warn_today: "Reports today",
  warn_expected: "Expected so far", warn_value: "Chart value", warn_limit: "Limit", warn_signal: "Signal", warn_days: "Last days",
  warn_yes: "yes", warn_no: "no", warn_none: "None",
});
applyLanguage();

const warnings = { signalling: new Set() };

async function loadWarnings() {
  const answer = await api("/api/v1/warnings/charts?level=grid&days=7&limit=50");
  const headers = ["warn_place", "warn_today", "warn_expected", "warn_value", "warn_limit", "warn_signal", "warn_days"];
  const rows = answer.places.map((p) => el("tr", { "data-place": p.place, class: p.signal ? "signal" : "" },
    el("td", {}, p.place),
    el("td", {}, String(p.today.observed)),
    el("td", {}, p.today.expected.toFixed(2)),
    el("td", {}, p.today.value.toFixed(2)),
    el("td", {}, p.today.limit.toFixed(2)),
    el("td", { "data-field": "signal" }, t(p.signal ? "warn_yes" : "warn_no")),
    el("td", {}, p.days.map((d) => d.value.toFixed(1)).join(" · "))));
  $("#warn-places").replaceChildren(
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, t(h))))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: String(headers.length) }, t("warn_none")))]),
  );
  warnings.signalling = new Set(answer.places.filter((p) => p.signal).map((p) => p.place));
}

// A red ring in each signalling cell, over the map as app.js (and sensors.js) draw it.
const drawWithoutWarnings = draw;
draw = function drawWithWarnings() {
  drawWithoutWarnings();
  if (!view || !warnings.signalling.size) return;
  ctx.save();
  ctx.strokeStyle = "#e63946";
  ctx.lineWidth = 3 * view.dpr;
  for (const code of warnings.signalling) {
    const centre = view.centres.get(code);
    if (!centre) continue;
    ctx.beginPath();
    ctx.arc(centre[0], centre[1], 10 * view.dpr, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
};

// Reports arriving make app.js re-read the counts; the charts follow, a few seconds behind.
const refreshWarnings = debounce(() => loadWarnings().then(() => draw()).catch(() => {}), 2000);
const loadCountsWithoutWarnings = loadCounts;
loadCounts = async function loadCountsAndWarnings() {
  await loadCountsWithoutWarnings();
  refreshWarnings();
};

const startWithoutWarnings = start;
start = async function startWithWarnings() {
  await startWithoutWarnings();
  await loadWarnings().then(() => draw()).catch(() => {});
};

document.querySelector('[data-view="warnings"]').addEventListener("click", () => { loadWarnings().catch(() => {}); });
if (session.access) loadWarnings().then(() => draw()).catch(() => {});
