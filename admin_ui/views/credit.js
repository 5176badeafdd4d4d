// Credit: village-rule violations, honour applications, the dishonesty list and credit-repair requests.

import { api } from "../api.js";
import { badge, busy, clear, field, formData, h, messageLine, pageTitle, showError, showOk, table, today, when } from "../ui.js";

export const path = "credit";
export const title = "信用管理";
export const requires = [
  "/api/v1/credit-entries",
  "/api/v1/honours/{application_id}/approve",
  "/api/v1/dishonesty-entries",
  "/api/v1/credit-repairs/{repair_id}/approve",
];

const TABS = [
  ["entries", "违规记录"],
  ["honours", "荣誉申报"],
  ["dishonesty", "失信清单"],
  ["repairs", "信用修复"],
];
const STATUS = {
  applied: ["待审批", "warn"],
  approved: ["已批准", "ok"],
  rejected: ["已驳回", "muted"],
  refused: ["不予修复", "muted"],
  active: ["生效中", "danger"],
  upcoming: ["未开始", "warn"],
  ended: ["已结束", "muted"],
  revoked: ["已撤销", "muted"],
};
const ORIGIN = { violation: "违反村规民约", honour: "荣誉", repair: "信用修复" };

const status = (s) => badge(...(STATUS[s] || [s]));

export async function render(main, { village, params }) {
  if (!village) return clear(main, pageTitle(title), h("p", { class: "empty" }, "没有可管理的村。"));
  const tab = params.tab || "entries";
  const body = h("div", {});
  clear(
    main,
    pageTitle(`${title} · ${village.name}`),
    h("div", { class: "tabs" }, TABS.map(([v, l]) => h("a", { href: `#/credit?tab=${v}`, class: v === tab ? "active" : "" }, l))),
    messageLine(),
    body,
  );
  const show = { entries, honours, dishonesty, repairs }[tab] || entries;
  try {
    await show(body, village);
  } catch (error) {
    showError(main, error);
  }
  return undefined;
}

function form(heading, controls, submit) {
  const button = h("button", { type: "submit" }, "提交");
  const box = h("form", { class: "card", novalidate: true }, h("h2", {}, heading), h("div", { class: "row wrap" }, controls), button, messageLine());
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, box, async () => {
      await submit(formData(box));
      showOk(box, "已提交。");
      setTimeout(() => window.dispatchEvent(new HashChangeEvent("hashchange")), 800);
    });
  });
  return box;
}

/** Approve / refuse buttons for an application still waiting; the reason box names the refusal. */
function decide(item, approvePath, refusePath, refuseLabel) {
  if (item.status !== "applied") return item.decision_note || "";
  const box = h("div", { class: "decide" });
  const reason = h("input", { name: "reason", placeholder: "理由（驳回必填）" });
  const ok = h("button", { type: "button" }, "批准");
  const no = h("button", { type: "button", class: "danger" }, refuseLabel);
  const done = (text) => {
    for (const b of box.querySelectorAll("button, input")) b.disabled = true;
    showOk(box, text);
  };
  ok.addEventListener("click", () => busy(ok, box, async () => done((await api.post(approvePath, { note: reason.value || null }), "已批准。"))));
  no.addEventListener("click", () => busy(no, box, async () => done((await api.post(refusePath, { reason: reason.value }), "已处理。"))));
  box.append(field("理由", reason), ok, no, messageLine());
  return box;
}

async function entries(body, village) {
  const page = await api.get("/credit-entries", { village_id: village.id, limit: 100 });
  clear(
    body,
    table(page.items, [
      { label: "村民编号", value: (e) => String(e.villager_id) },
      { label: "来源", value: (e) => ORIGIN[e.origin] || e.origin },
      { label: "规则", value: (e) => `${e.rule_code || ""}${e.rule_version ? ` v${e.rule_version}` : ""}`, class: "mono" },
      { label: "发生日期", value: (e) => e.occurred_on },
      { label: "说明", value: (e) => e.note || e.reason || "" },
      { label: "状态", value: (e) => status(e.status) },
    ], { empty: "还没有信用记录。" }),
    form(
      "登记违反村规民约",
      [
        field("村民编号", h("input", { name: "villager_id", type: "number", min: 1 })),
        field("规则编码", h("input", { name: "rule_code" })),
        field("发生日期", h("input", { name: "occurred_on", type: "date", value: today() })),
        field("次数", h("input", { name: "quantity", type: "number", min: 1, value: "1" })),
        field("备注", h("input", { name: "note" })),
        field("证据说明", h("input", { name: "evidence_text" })),
      ],
      (d) =>
        api.post("/credit-entries", {
          villager_id: Number(d.villager_id) || null,
          rule_code: d.rule_code,
          occurred_on: d.occurred_on,
          quantity: Number(d.quantity),
          note: d.note || null,
          evidence_text: d.evidence_text || null,
        }),
    ),
  );
}

async function honours(body, village) {
  const page = await api.get("/honours", { village_id: village.id, limit: 100 });
  clear(
    body,
    table(page.items, [
      { label: "村民编号", value: (a) => String(a.villager_id) },
      { label: "规则", value: (a) => a.rule_code, class: "mono" },
      { label: "日期", value: (a) => a.occurred_on },
      { label: "事迹", value: (a) => a.description },
      { label: "申报时间", value: (a) => when(a.created_at) },
      { label: "状态", value: (a) => status(a.status) },
      { label: "审批", value: (a) => decide(a, `/honours/${a.id}/approve`, `/honours/${a.id}/reject`, "驳回") },
    ], { empty: "没有荣誉申报。" }),
  );
}

async function dishonesty(body, village) {
  const page = await api.get("/dishonesty-entries", { village_id: village.id, limit: 100 });
  clear(
    body,
    table(page.items, [
      { label: "姓名", value: (d) => d.villager_name },
      { label: "类别", value: (d) => (d.list_kind === "court" ? "法院失信被执行人" : "村失信清单") },
      { label: "原因", value: (d) => d.reason || "" },
      { label: "起止", value: (d) => `${d.starts_on} 至 ${d.ends_on || "—"}` },
      { label: "状态", value: (d) => status(d.status) },
    ], { empty: "失信清单为空。" }),
    form(
      "列入失信清单",
      [
        field("村民编号", h("input", { name: "villager_id", type: "number", min: 1 })),
        field("原因", h("input", { name: "reason" })),
        field("开始日期", h("input", { name: "starts_on", type: "date", value: today() })),
        field("结束日期", h("input", { name: "ends_on", type: "date" })),
        field("规则编码（可选）", h("input", { name: "rule_code" })),
      ],
      (d) =>
        api.post("/dishonesty-entries", {
          villager_id: Number(d.villager_id) || null,
          reason: d.reason,
          starts_on: d.starts_on,
          ends_on: d.ends_on || null,
          rule_code: d.rule_code || null,
        }),
    ),
  );
}

async function repairs(body, village) {
  const page = await api.get("/credit-repairs", { village_id: village.id, limit: 100 });
  clear(
    body,
    table(page.items, [
      { label: "村民编号", value: (r) => String(r.villager_id) },
      { label: "针对记录", value: (r) => `#${r.entry_id}` },
      { label: "修复说明", value: (r) => r.statement },
      { label: "申请时间", value: (r) => when(r.created_at) },
      { label: "状态", value: (r) => status(r.status) },
      { label: "审批", value: (r) => decide(r, `/credit-repairs/${r.id}/approve`, `/credit-repairs/${r.id}/refuse`, "不予修复") },
    ], { empty: "没有信用修复申请。" }),
  );
}
