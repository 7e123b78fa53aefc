// Gridline operations dashboard: the patrol coverage view (巡查覆盖), loaded after app.js and
// using its helpers (api, el, t, $, state, session, applyLanguage). For a street office
// (dispatcher) it shows one day of GET /api/v1/patrol/coverage?day=YYYY-MM-DD:
//   - the street's coverage figure: the cells assigned to its inspectors that one of them
//     visited, in percent and as a count;
//   - per inspector, the cells assigned and visited and the time on patrol in their cells;
//   - a map of the street's cells (the overview map's layer), visited ones filled.
// Which cells count as visited, for how long, and who may see it are the server's (the
// endpoint answers only a street's dispatcher); this page only draws. Raw positions are never
// sent to the dashboard. The tab shows for dispatchers only.
//
// Below, the street's cells without an inspector (GET /api/v1/coverage) and the form that gives
// a cell to one of the street's inspectors (POST /api/v1/coverage/assign; a cell already held
// is reassigned). Which inspectors and cells the office may choose is the server's answer.
"use strict";

Object.assign(TEXT.zh, {
  view_patrol: "巡查覆盖", patrol_day: "日期", patrol_figure: "网格覆盖率", patrol_inspectors: "网格员",
  patrol_inspector: "网格员", patrol_assigned: "负责网格", patrol_visited: "已巡网格", patrol_time: "巡查时长",
  patrol_cells: "已巡网格编号", patrol_none: "当天无人巡查", patrol_of: "共", patrol_map: "巡查覆盖地图",
  patrol_minutes: "分钟", cover_title: "无网格员的网格", cover_cell: "网格", cover_inspector: "网格员",
  cover_assign: "分配", cover_assigned: "已分配", cover_to: "给", cover_none: "每个网格都有网格员",
  cover_of: "个网格无网格员，共",
});
Object.assign(TEXT.en, {
  view_patrol: "Patrol", patrol_day: "Day", patrol_figure: "Cells covered", patrol_inspectors: "Inspectors",
  patrol_inspector: "Inspector", patrol_assigned: "Cells assigned", patrol_visited: "Cells visited", patrol_time: "Time on patrol",
  patrol_cells: "Cells visited (codes)", patrol_none: "Nobody patrolled this day", patrol_of: "of", patrol_map: "Patrol coverage map",
  patrol_minutes: "min", cover_title: "Cells without an inspector", cover_cell: "Cell", cover_inspector: "Inspector",
  cover_assign: "Assign", cover_assigned: "Assigned", cover_to: "to", cover_none: "Every cell has an inspector",
  cover_of: "cells without an inspector, of",
});

// The page's labels were put in before these strings existed.
applyLanguage();

const patrol = { coverage: null, visited: new Set() };
const patrolCanvas = $("#patrol-map");

/** Today in the browser's calendar, as the day input wants it. */
function patrolToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

async function loadPatrol() {
  const input = $("#patrol-day");
  if (!input.value) input.value = patrolToday();
  const coverage = await api(`/api/v1/patrol/coverage?day=${encodeURIComponent(input.value)}`);
  patrol.coverage = coverage;
  patrol.visited = new Set(coverage.visited_cells);
  $("#patrol-figure").replaceChildren(
    el("strong", { "data-field": "coverage" }, `${coverage.coverage_percent.toFixed(1)} %`),
    " ",
    el("span", { "data-field": "cells" }, `${coverage.cells_visited} ${t("patrol_of")} ${coverage.cells_assigned}`),
  );
  const rows = coverage.inspectors.map((i) => el("tr", { "data-inspector": i.inspector_id },
    el("td", {}, i.display_name),
    el("td", {}, String(i.cells_assigned)),
    el("td", { "data-field": "visited" }, String(i.cells_visited)),
    el("td", {}, `${Math.round(i.seconds / 60)} ${t("patrol_minutes")}`),
    el("td", {}, i.cells.map((c) => c.grid).join(", ") || "—")));
  $("#patrol-inspectors").replaceChildren(
    el("thead", {}, el("tr", {}, ["patrol_inspector", "patrol_assigned", "patrol_visited", "patrol_time", "patrol_cells"]
      .map((h) => el("th", { scope: "col" }, t(h))))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: "5" }, t("patrol_none")))]),
  );
  drawPatrolMap();
}

/** The street's cells without an inspector, and the assignment form's choices. */
async function loadCoverage() {
  const coverage = await api("/api/v1/coverage");
  const open = coverage.cells_without_inspector;
  $("#cover-figure").replaceChildren(el("strong", { "data-field": "uncovered" }, String(open.length)), " ",
    open.length ? `${t("cover_of")} ${coverage.cells}` : t("cover_none"));
  $("#cover-cell").replaceChildren(...open.map((code) => el("option", { value: code }, code)));
  const inspectors = coverage.inspectors.concat(coverage.inspectors_without_cells || []);
  $("#cover-inspector").replaceChildren(...inspectors.map((i) =>
    el("option", { value: i.id }, `${i.display_name} (${i.cells.length})`)));
}

$("#cover-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const grid = $("#cover-cell").value, inspectorId = $("#cover-inspector").value;
  const name = $("#cover-inspector").selectedOptions[0]?.textContent || inspectorId;
  try {
    await api("/api/v1/coverage/assign", { method: "POST", json: { grid, inspector_id: inspectorId } });
    $("#cover-status").textContent = `${t("cover_assigned")} ${grid} ${t("cover_to")} ${name}`;
    $("#cover-status").dataset.assigned = grid;
    await loadCoverage();
  } catch (err) {
    $("#cover-status").textContent = err.message;
  }
});

/** The street's cells from the overview map's layer, visited ones filled, fitted to the canvas. */
function drawPatrolMap() {
  const coverage = patrol.coverage;
  const layer = state.layer;
  const context = patrolCanvas.getContext("2d");
  const rect = patrolCanvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  patrolCanvas.width = Math.max(1, Math.round(rect.width * dpr));
  patrolCanvas.height = Math.max(1, Math.round(rect.height * dpr));
  context.clearRect(0, 0, patrolCanvas.width, patrolCanvas.height);
  patrolCanvas.setAttribute("aria-label", coverage
    ? `${t("patrol_map")}: ${t("patrol_figure")} ${coverage.coverage_percent.toFixed(1)} %`
    : t("patrol_map"));
  if (!coverage || !layer) return;
  const cells = layer.cells.filter((c) => c.code.startsWith(coverage.street));
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const c of cells) for (const ring of c.rings) for (let i = 0; i < ring.length; i += 2) {
    minX = Math.min(minX, ring[i]); maxX = Math.max(maxX, ring[i]);
    minY = Math.min(minY, ring[i + 1]); maxY = Math.max(maxY, ring[i + 1]);
  }
  if (!isFinite(minX)) return;
  const lat = layer.origin[1] + (minY + maxY) / 2 / layer.scale;
  const kx = Math.cos((lat * Math.PI) / 180);
  const pad = 8 * dpr;
  const scale = Math.min((patrolCanvas.width - 2 * pad) / ((maxX - minX) * kx || 1), (patrolCanvas.height - 2 * pad) / (maxY - minY || 1));
  const visited = new Path2D(), others = new Path2D();
  for (const c of cells) {
    const p = c.code && patrol.visited.has(c.code) ? visited : others;
    for (const ring of c.rings) {
      for (let i = 0; i < ring.length; i += 2) {
        const x = pad + (ring[i] - minX) * kx * scale, y = patrolCanvas.height - (pad + (ring[i + 1] - minY) * scale);
        if (i === 0) p.moveTo(x, y); else p.lineTo(x, y);
      }
      p.closePath();
    }
  }
  context.fillStyle = "#23445a"; context.fill(others);
  context.fillStyle = "#4f9a73"; context.fill(visited);
  context.lineWidth = dpr * 0.6;
  context.strokeStyle = "rgba(160, 190, 210, 0.5)";
  context.stroke(others); context.stroke(visited);
}

// After sign-in: only a street office sees the tab (the endpoint answers nobody else).
const startWithoutPatrol = start;
start = async function startWithPatrol() {
  $("#tab-patrol").hidden = (session.user || {}).role !== "dispatcher";
  await startWithoutPatrol();
};

$("#tab-patrol").addEventListener("click", () => {
  loadPatrol().catch((e) => { $("#patrol-figure").textContent = e.message; });
  loadCoverage().catch((e) => { $("#cover-figure").textContent = e.message; });
});
$("#patrol-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadPatrol().catch((err) => { $("#patrol-figure").textContent = err.message; });
});
if (session.access) $("#tab-patrol").hidden = (session.user || {}).role !== "dispatcher";
