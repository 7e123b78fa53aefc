// Gridline operations dashboard: the sensors view, loaded after app.js and using its helpers
// (api, el, t, $, state, fmtTime). What it shows comes from GET /api/v1/sensors/review and
// /api/v1/sensors/overview, within the signed-in account's scope:
//   - the review queue: alarms waiting for a person, with their device and media link, each
//     with a Confirm button (POST /api/v1/sensors/alarms/{id}/confirm);
//   - alarm groups: a storm is one row carrying its count of alarms and its case;
//   - active alarms per cell (also drawn as markers on the overview map);
//   - faulty devices (flagged by flapping).
// Every rule (when an alarm confirms, what groups) is the server's; this page only draws.
"use strict";

Object.assign(TEXT.zh, {
  view_sensors: "感知告警", sensor_review: "待确认告警", sensor_groups: "告警分组", sensor_cells: "各网格在报告警",
  sensor_faulty: "故障设备", sensor_repaired: "已修复", sensor_device: "设备", sensor_kind: "类型", sensor_severity: "级别",
  sensor_repeats: "次数", sensor_first: "首次", sensor_media: "现场影像", sensor_confirm: "确认立案",
  sensor_alarms: "告警数", sensor_case: "案件", sensor_active: "在报", sensor_owner: "权属单位",
  sensor_none: "无", sensor_cleared: "传感器已解除", sensor_maintenance: "设备维修", sensor_open_case: "查看案件",
});
Object.assign(TEXT.en, {
  view_sensors: "Sensors", sensor_review: "Review queue", sensor_groups: "Alarm groups", sensor_cells: "Active alarms per cell",
  sensor_faulty: "Faulty devices", sensor_repaired: "Repaired", sensor_device: "Device", sensor_kind: "Kind", sensor_severity: "Severity",
  sensor_repeats: "Repeats", sensor_first: "First", sensor_media: "Media", sensor_confirm: "Confirm",
  sensor_alarms: "Alarms", sensor_case: "Case", sensor_active: "Active", sensor_owner: "Owner",
  sensor_none: "None", sensor_cleared: "cleared by sensor", sensor_maintenance: "maintenance", sensor_open_case: "Open case",
});

// The page's labels were put in before these strings existed.
applyLanguage();

const sensors = { cells: new Map(), kinds: new Map() };
// A kind in words: the name of the category its cases are filed under, then its code.
const kindWords = (kind) => (sensors.kinds.has(kind) ? `${categoryName(sensors.kinds.get(kind))} (${kind})` : kind);
const unixTime = (secs) => fmtTime(new Date(secs * 1000).toISOString());

function sensorTable(target, headers, rows) {
  const table = $(target);
  table.replaceChildren(
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, t(h))))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: String(headers.length) }, t("sensor_none")))]),
  );
}

async function loadSensors() {
  const [review, overview] = await Promise.all([api("/api/v1/sensors/review"), api("/api/v1/sensors/overview")]);
  sensors.kinds = new Map(overview.kinds.map((k) => [k.kind, k.category]));
  sensorTable("#sensor-review", ["sensor_device", "sensor_kind", "sensor_severity", "sensor_repeats", "sensor_first", "sensor_media", "actions"],
    review.alarms.map(({ alarm, device }) => el("tr", { "data-alarm": alarm.id },
      el("td", {}, `${alarm.device_id}${device ? " · " + device.owning_unit : ""}`),
      el("td", {}, alarm.sub_category ? `${kindWords(alarm.kind)} / ${alarm.sub_category}` : kindWords(alarm.kind)),
      el("td", {}, alarm.severity),
      el("td", {}, String(alarm.repeat_count)),
      el("td", {}, unixTime(alarm.first_at)),
      el("td", {}, alarm.media_url ? el("a", { href: alarm.media_url, target: "_blank", rel: "noopener noreferrer" }, t("sensor_media")) : "—"),
      el("td", {}, readOnly() ? "" : el("button", { type: "button", "data-confirm": alarm.id, onclick: () => confirmAlarm(alarm.id) }, t("sensor_confirm"))))));
  sensorTable("#sensor-groups", ["sensor_kind", "grid", "sensor_alarms", "sensor_active", "sensor_first", "sensor_case"],
    overview.groups.map((g) => el("tr", { "data-group": g.id },
      el("td", {}, g.purpose === "maintenance" ? `${kindWords(g.kind)} · ${t("sensor_maintenance")} (${g.device_id})` : kindWords(g.kind)),
      el("td", {}, g.grid_code),
      // A maintenance group stands for a faulty device, not for alarms: no count to show.
      el("td", { "data-field": "episodes" }, g.purpose === "maintenance" ? "—" : String(g.episode_count)),
      el("td", {}, g.cleared_at ? t("sensor_cleared") : String(g.active_count)),
      el("td", {}, unixTime(g.opened_at)),
      el("td", {}, g.case_id ? el("button", { type: "button", class: "link", onclick: () => openCase(g.case_id) }, t("sensor_open_case")) : "—"))));
  sensorTable("#sensor-cells", ["grid", "sensor_kind", "sensor_active"],
    overview.cells.map((c) => el("tr", { "data-cell": c.grid_code }, el("td", {}, c.grid_code), el("td", {}, kindWords(c.kind)), el("td", {}, String(c.active)))));
  sensorTable("#sensor-faulty", ["sensor_device", "sensor_kind", "grid", "sensor_owner", "actions"],
    overview.faulty_devices.map((d) => el("tr", { "data-device": d.id }, el("td", {}, d.id), el("td", {}, kindWords(d.kind)), el("td", {}, d.grid_code), el("td", {}, d.owning_unit),
      el("td", {}, readOnly() ? "" : el("button", { type: "button", "data-repaired": d.id, onclick: () => markRepaired(d.id) }, t("sensor_repaired"))))));
  sensors.cells = new Map();
  for (const c of overview.cells) sensors.cells.set(c.grid_code, (sensors.cells.get(c.grid_code) || 0) + c.active);
}

async function markRepaired(id) {
  try {
    await api(`/api/v1/sensors/devices/${encodeURIComponent(id)}/repaired`, { method: "POST" });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
  }
  await loadSensors();
}

async function confirmAlarm(id) {
  try {
    await api(`/api/v1/sensors/alarms/${id}/confirm`, { method: "POST" });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
  }
  await loadSensors();
}

// Markers on the overview map: a ring in each cell with active alarms, over app.js's drawing.
const drawWithoutAlarms = draw;
draw = function drawWithAlarms() {
  drawWithoutAlarms();
  if (!view || !sensors.cells.size) return;
  ctx.save();
  ctx.strokeStyle = "#ffd166";
  ctx.lineWidth = 2 * view.dpr;
  for (const code of sensors.cells.keys()) {
    const centre = view.centres.get(code);
    if (!centre) continue;
    ctx.beginPath();
    ctx.arc(centre[0], centre[1], 7 * view.dpr, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
};

// After sign-in too, so the map's markers show without visiting the view first.
const startWithoutSensors = start;
start = async function startWithSensors() {
  await startWithoutSensors();
  await loadSensors().then(() => draw()).catch(() => {});
};

document.querySelector('[data-view="sensors"]').addEventListener("click", () => { loadSensors().catch(() => {}); });
if (session.access) loadSensors().then(() => draw()).catch(() => {});
