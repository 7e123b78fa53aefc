// Gridline operations dashboard: the emergency view (平战转换), loaded after app.js and using
// its helpers (api, el, t, $, session, fmtTime, categoryName, openCase) and sensors.js's
// sensorTable. What it shows comes from
// GET /api/v1/emergencies and, for the switch that is on (or the newest), its incident view
// GET /api/v1/emergencies/{id}/incident:
//   - the area, level, kind, command unit, units on joint duty (联合值守) and limits of the switch;
//   - the live command queue (reports registered under command, with their dispatch-by time);
//   - the units' open tasks against the span of control (a warning above it);
//   - the timeline of command decisions.
// A city admin, or a district admin within its district (its code is filled in), switches an
// area on when the list says `can_switch_on` (the levels, their limits and the kinds come from
// the API's answer too) and off (with
// If-Match, offered when the switch's `available_actions` has it). Every rule is the server's;
// this page only draws.
"use strict";

Object.assign(TEXT.zh, {
  view_emergency: "应急指挥", em_switch_on: "启动战时指挥", em_area: "区域代码", em_level: "响应级别",
  em_kind: "类型", em_categories: "涉及类别（逗号分隔）", em_unit: "指挥单位", em_drill: "演练",
  em_start: "启动", em_switch_off: "解除，恢复平时", em_incident: "事件指挥", em_queue: "指挥队列",
  em_units: "单位负荷", em_timeline: "指挥决策", em_none: "当前无战时指挥", em_due: "派遣时限",
  em_open: "在办", em_supervisors: "负责人", em_over_span: "超出管理幅度", em_ok: "正常",
  em_summary: "处置总结", em_state_active: "战时", em_state_ended: "已解除",
  kind_flood_typhoon: "防汛防台", kind_fire: "火灾", kind_epidemic: "疫情", kind_other: "其他",
  em_minutes: "分钟", em_warning: "提示", em_at: "时间", em_joint: "联合值守单位",
});
Object.assign(TEXT.en, {
  view_emergency: "Emergency", em_switch_on: "Switch to wartime command", em_area: "Area code", em_level: "Level",
  em_kind: "Kind", em_categories: "Categories (comma-separated)", em_unit: "Command unit", em_drill: "Drill",
  em_start: "Switch on", em_switch_off: "Switch off, back to peacetime", em_incident: "Incident", em_queue: "Command queue",
  em_units: "Units' load", em_timeline: "Command decisions", em_none: "No wartime command is on", em_due: "Dispatch by",
  em_open: "Open tasks", em_supervisors: "Supervisors", em_over_span: "over the span of control", em_ok: "ok",
  em_summary: "After-action summary", em_state_active: "wartime", em_state_ended: "switched off",
  kind_flood_typhoon: "Flood and typhoon", kind_fire: "Fire", kind_epidemic: "Epidemic", kind_other: "Other",
  em_minutes: "min", em_warning: "Warning", em_at: "Time", em_joint: "Units on joint duty",
});
applyLanguage();

const emergency = { list: null, current: null, timer: null };

// The switch-on form's choices, from the API's answer (never a copy of core's table).
function fillSwitchForm(list) {
  const level = $("#em-level");
  if (!level.options.length) {
    for (const l of list.levels) {
      const limits = `${l.limits.dispatch_minutes} / ${l.limits.handle_minutes} ${t("em_minutes")}`;
      level.append(el("option", { value: l.level }, `${l.level} (${limits})`));
    }
    for (const k of list.kinds) $("#em-kind").append(el("option", { value: k }, t("kind_" + k)));
  }
  // The units arrive with the page's reference data, which may come after the first visit.
  if (!$("#em-unit").options.length) {
    for (const u of state.units || []) $("#em-unit").append(el("option", { value: u.code }, u.code));
  }
  if (!$("#em-joint").options.length) {
    for (const u of state.units || []) $("#em-joint").append(el("option", { value: u.code }, u.code));
  }
  const user = session.user || {};
  $("#em-form").hidden = !list.can_switch_on;
  const scope = user.scope || {};
  if (scope.kind === "district" && !$("#em-area").value) $("#em-area").value = scope.district;
}

function renderIncident(incident) {
  const e = incident.emergency;
  $("#em-title").textContent = `${t("em_incident")} · ${e.area} · ${e.level} · ${t("kind_" + e.kind)}${e.drill ? " · " + t("em_drill") : ""}`;
  $("#em-facts").textContent = `${t("em_state_" + e.state)} · ${t("em_unit")}: ${e.command_unit} · ` +
    `${t("em_due")}: ${e.limits.dispatch_minutes} ${t("em_minutes")} · ${fmtTime(e.started_at)}` +
    (e.joint_units.length ? ` · ${t("em_joint")}: ${e.joint_units.join(", ")}` : "");
  $("#em-facts").dataset.jointUnits = e.joint_units.join(",");
  $("#em-facts").dataset.state = e.state;
  const off = $("#em-off");
  off.hidden = !e.available_actions.includes("switch_off");
  off.dataset.version = String(e.version);
  sensorTable("#em-queue", ["tracking", "category", "grid", "em_due"], incident.queue.map((q) =>
    el("tr", { "data-case": q.case_id, class: q.dispatch_overdue ? "overdue" : "" },
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => openCase(q.case_id) }, q.tracking_number)),
      el("td", {}, categoryName(q.category)),
      el("td", {}, q.grid || "—"),
      el("td", {}, fmtTime(q.dispatch_due)))));
  sensorTable("#em-units", ["unit", "em_open", "em_supervisors", "em_warning"], incident.units.map((u) =>
    el("tr", { "data-unit": u.unit, "data-over-span": String(u.over_span) },
      el("td", {}, u.unit), el("td", {}, String(u.open_tasks)), el("td", {}, String(u.supervisors)),
      el("td", {}, u.over_span ? "⚠ " + t("em_over_span") : t("em_ok")))));
  sensorTable("#em-timeline", ["em_at", "em_kind", "tracking", "unit"], incident.timeline.map((d) =>
    el("tr", { "data-kind": d.kind },
      el("td", {}, fmtTime(d.at)), el("td", {}, (d.label ? d.label[lang] : d.kind) + (d.note ? " · " + d.note : "")),
      el("td", {}, d.tracking_number || "—"), el("td", {}, d.handling_unit || "—"))));
}

async function loadEmergency() {
  const list = await api("/api/v1/emergencies");
  emergency.list = list;
  fillSwitchForm(list);
  const current = list.emergencies.find((e) => e.state === "active") || list.emergencies[0];
  emergency.current = current ? current.id : null;
  $("#em-incident").hidden = !current;
  $("#em-none").hidden = Boolean(current);
  $("#tab-emergency").dataset.active = String(Boolean(current && current.state === "active"));
  if (current) renderIncident(await api(`/api/v1/emergencies/${current.id}/incident`));
}

async function switchOn(form) {
  const data = new FormData(form);
  const body = {
    area: String(data.get("area")).trim(),
    level: data.get("level"),
    kind: data.get("kind"),
    categories: String(data.get("categories")).split(",").map((c) => c.trim()).filter(Boolean),
    commander_id: (session.user || {}).id,
    command_unit: data.get("unit"),
    joint_units: data.getAll("joint_units").map(String),
    drill: data.get("drill") === "on",
  };
  const result = $("#em-result");
  try {
    await api("/api/v1/emergencies", { method: "POST", json: body });
    result.textContent = "";
  } catch (e) {
    result.textContent = e.problem ? `${e.problem.code}: ${e.problem.detail}` : String(e);
    return;
  }
  await loadEmergency();
}

async function switchOff() {
  const button = $("#em-off");
  try {
    await api(`/api/v1/emergencies/${emergency.current}/actions`, {
      method: "POST", json: { action: "switch_off" }, headers: { "If-Match": `"${button.dataset.version}"` },
    });
  } catch (e) {
    $("#em-result").textContent = e.problem ? `${e.problem.code}: ${e.problem.detail}` : String(e);
  }
  await loadEmergency();
}

// The printable summary needs the session's token, so it is fetched and opened as a document.
async function openSummary() {
  const r = await api(`/api/v1/emergencies/${emergency.current}/summary/print`, { raw: true });
  const page = URL.createObjectURL(new Blob([await r.text()], { type: "text/html" }));
  window.open(page, "_blank", "noopener");
}

// The queue is live: refreshed while the view is open, and after every case event.
function followEmergency() {
  clearInterval(emergency.timer);
  emergency.timer = setInterval(() => {
    if (!$("#view-emergency").hidden) loadEmergency().catch(() => {});
  }, 2000);
}

$("#em-form").addEventListener("submit", (event) => { event.preventDefault(); switchOn(event.target); });
$("#em-off").addEventListener("click", () => switchOff());
$("#em-summary").addEventListener("click", () => { openSummary().catch(() => {}); });
document.querySelector('[data-view="emergency"]').addEventListener("click", () => {
  loadEmergency().catch(() => {});
  followEmergency();
});
