// Events (scan check-in with a rotating QR code), polls (democratic evaluation) and lessons with quizzes.

import { api } from "../api.js";
import { badge, busy, clear, field, formData, h, messageLine, pageTitle, showError, showOk, table, when } from "../ui.js";

export const path = "activities";
export const title = "活动、评议与学习";
export const requires = ["/api/v1/events", "/api/v1/polls", "/api/v1/lessons"];

const TABS = [
  ["events", "活动签到"],
  ["polls", "民主评议"],
  ["lessons", "在线学习"],
];

/** A datetime-local value is village time (UTC+8); the API wants an instant. */
function instant(local) {
  return local ? `${local}:00+08:00` : "";
}

export async function render(main, { village, params }) {
  if (!village) return clear(main, pageTitle(title), h("p", { class: "empty" }, "没有可管理的村。"));
  const tab = params.tab || "events";
  const tabs = h(
    "div",
    { class: "tabs" },
    TABS.map(([value, label]) => h("a", { href: `#/activities?tab=${value}`, class: value === tab ? "active" : "" }, label)),
  );
  const body = h("div", {});
  clear(main, pageTitle(`${title} · ${village.name}`), tabs, messageLine(), body);
  try {
    if (tab === "polls") await polls(body, village);
    else if (tab === "lessons") await lessons(body, village);
    else await events(body, village, params.id);
  } catch (error) {
    showError(main, error);
  }
  return undefined;
}

function createForm(heading, controls, submit) {
  const button = h("button", { type: "submit" }, "创建");
  const form = h("form", { class: "card", novalidate: true }, h("h2", {}, heading), h("div", { class: "row wrap" }, controls), button, messageLine());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, form, async () => {
      await submit(formData(form));
      showOk(form, "已创建。");
      form.dispatchEvent(new CustomEvent("created"));
    });
  });
  return form;
}

async function events(body, village, openId) {
  const page = await api.get("/events", { village_id: village.id, limit: 50 });
  const form = createForm(
    "新建活动",
    [
      field("名称", h("input", { name: "title" })),
      field("类型（规则中的 event.kind）", h("input", { name: "kind", value: "volunteer" })),
      field("地点", h("input", { name: "place" })),
      field("开始", h("input", { name: "starts_at", type: "datetime-local" })),
      field("结束", h("input", { name: "ends_at", type: "datetime-local" })),
      field("时长（小时）", h("input", { name: "hours", type: "number", step: "0.5", min: 0, value: "2" })),
      field(
        "计分时机",
        h("select", { name: "award_at" }, h("option", { value: "check_in" }, "签到即计分"), h("option", { value: "confirmation" }, "确认出勤后计分")),
      ),
    ],
    (data) =>
      api.post("/events", {
        ...data,
        village_id: village.id,
        hours: Number(data.hours),
        starts_at: instant(data.starts_at),
        ends_at: instant(data.ends_at),
      }),
  );
  form.addEventListener("created", () => window.dispatchEvent(new HashChangeEvent("hashchange")));
  const detail = h("div", {});
  clear(
    body,
    table(page.items, [
      { label: "活动", value: (e) => h("a", { href: `#/activities?tab=events&id=${e.id}` }, e.title) },
      { label: "地点", value: (e) => e.place },
      { label: "开始", value: (e) => when(e.starts_at) },
      { label: "结束", value: (e) => when(e.ends_at) },
      { label: "时长", value: (e) => `${e.hours} 小时` },
      { label: "计分", value: (e) => (e.award_at === "confirmation" ? "确认后" : "签到即计") },
    ], { empty: "还没有活动。" }),
    detail,
    form,
  );
  const chosen = page.items.find((e) => String(e.id) === openId);
  if (chosen) await eventDetail(detail, chosen);
}

async function eventDetail(target, event) {
  const image = h("img", { class: "qr", alt: "签到二维码", width: 240, height: 240 });
  const box = h("section", { class: "card" });
  async function refreshQr() {
    try {
      const png = await api.blob(`/events/${event.id}/qr.png`);
      const old = image.src;
      image.src = URL.createObjectURL(png);
      if (old) URL.revokeObjectURL(old);
    } catch (error) {
      showError(box, error);
    }
    return undefined;
  }
  // The code rotates every 30 s; refresh while this page is on screen.
  const timer = setInterval(() => (box.isConnected ? refreshQr() : clearInterval(timer)), 10_000);
  const checkIns = (await api.get(`/events/${event.id}/check-ins`, { limit: 200 })).items;
  const confirm = h("button", { type: "button" }, "确认以上人员出勤");
  confirm.addEventListener("click", () =>
    busy(confirm, box, async () => {
      const ids = checkIns.filter((c) => !c.confirmed_at).map((c) => c.villager_id);
      if (!ids.length) return showOk(box, "没有待确认的人员。");
      const result = await api.post(`/events/${event.id}/attendance/confirm`, { villager_ids: ids });
      return showOk(box, `已确认 ${result.length} 人。`);
    }),
  );
  box.append(
    h("h2", {}, `${event.title} 签到`),
    h("div", { class: "row" }, image, h("p", { class: "hint" }, "在现场屏幕上展示此二维码，每 10 秒自动刷新。")),
    h("h3", {}, `已签到 ${checkIns.length} 人`),
    table(checkIns, [
      { label: "村民编号", value: (c) => String(c.villager_id) },
      { label: "签到时间", value: (c) => when(c.checked_in_at) },
      { label: "出勤确认", value: (c) => (c.confirmed_at ? badge(when(c.confirmed_at), "ok") : badge("未确认", "muted")) },
    ]),
    event.award_at === "confirmation" ? confirm : null,
    messageLine(),
  );
  clear(target, box);
  await refreshQr();
}

async function polls(body, village) {
  const page = await api.get("/polls", { village_id: village.id, limit: 50 });
  const results = h("div", {});
  const form = createForm(
    "新建评议",
    [
      field("议题", h("input", { name: "question" })),
      field("说明", h("input", { name: "description" })),
      field("投票方式", h("select", { name: "mode" }, h("option", { value: "adult" }, "每位成年人一票"), h("option", { value: "household" }, "每户一票"))),
      field("选项（每行一个）", h("textarea", { name: "options", rows: 3 })),
      field("开始", h("input", { name: "opens_at", type: "datetime-local" })),
      field("截止", h("input", { name: "closes_at", type: "datetime-local" })),
      field("法定参与率（%）", h("input", { name: "quorum_percent", type: "number", min: 0, max: 100, value: "50" })),
    ],
    (data) =>
      api.post("/polls", {
        village_id: village.id,
        question: data.question,
        description: data.description || null,
        mode: data.mode,
        options: data.options.split("\n").map((o) => o.trim()).filter(Boolean),
        opens_at: instant(data.opens_at),
        closes_at: instant(data.closes_at),
        quorum_percent: Number(data.quorum_percent),
      }),
  );
  form.addEventListener("created", () => window.dispatchEvent(new HashChangeEvent("hashchange")));
  async function showResults(poll, button) {
    await busy(button, body, async () => {
      const r = await api.get(`/polls/${poll.id}/results`);
      clear(
        results,
        h(
          "section",
          { class: "card" },
          h("h2", {}, poll.question),
          h("p", {}, `应参与 ${r.eligible}，已投 ${r.ballots}，参与率 ${r.turnout_percent}%（法定 ${r.quorum_percent}%，${r.quorum_met ? "已达到" : "未达到"}）${r.closed ? "" : "；投票截止后公布票数"}`),
          table(r.options, [
            { label: "选项", value: (o) => o.label },
            { label: "票数", value: (o) => (o.votes == null ? "—" : String(o.votes)) },
          ]),
        ),
      );
    });
  }
  clear(
    body,
    table(page.items, [
      { label: "议题", value: (p) => p.question },
      { label: "方式", value: (p) => (p.mode === "household" ? "每户一票" : "每人一票") },
      { label: "开始", value: (p) => when(p.opens_at) },
      { label: "截止", value: (p) => when(p.closes_at) },
      { label: "", value: (p) => h("button", { type: "button", class: "link", onclick: (e) => showResults(p, e.target) }, "查看结果") },
    ], { empty: "还没有评议。" }),
    results,
    form,
  );
}

/** "题目；选项A/选项B/选项C；2" per line: the answer is the option's number, from 1. */
function parseQuestions(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((lineText) => {
      const [question = "", options = "", answer = ""] = lineText.split(/[;；]/);
      return { text: question.trim(), options: options.split("/").map((o) => o.trim()).filter(Boolean), answer: Number(answer) - 1 };
    });
}

async function lessons(body, village) {
  const page = await api.get("/lessons", { village_id: village.id, limit: 50 });
  const form = createForm(
    "新建学习内容",
    [
      field("标题", h("input", { name: "title" })),
      field("正文", h("textarea", { name: "content", rows: 4 })),
      field("测验（每行：题目；选项A/选项B/选项C；正确选项序号）", h("textarea", { name: "questions", rows: 3 })),
    ],
    (data) =>
      api.post("/lessons", { village_id: village.id, title: data.title, content: data.content, questions: parseQuestions(data.questions) }),
  );
  form.addEventListener("created", () => window.dispatchEvent(new HashChangeEvent("hashchange")));
  clear(
    body,
    table(page.items, [
      { label: "标题", value: (l) => l.title },
      { label: "题数", value: (l) => String(l.questions.length) },
      { label: "及格（答对题数）", value: (l) => String(l.pass_mark) },
    ], { empty: "还没有学习内容。" }),
    form,
  );
}
