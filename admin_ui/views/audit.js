// Audit log: who changed what, newest first, with before/after.

import { api } from "../api.js";
import { clear, h, messageLine, pageTitle, showError, table, when } from "../ui.js";

export const path = "audit";
export const title = "操作日志";
export const requires = ["/api/v1/audit-log"];

const ROLES = { committee: "村委", town_admin: "镇管理员", admin: "平台管理员", villager: "村民", shopkeeper: "店主" };

export async function render(main, { village }) {
  const results = h("div", {});
  const more = h("button", { type: "button", class: "secondary" }, "加载更多");
  let cursor = null;
  clear(main, pageTitle(title), messageLine(), results);

  async function load() {
    try {
      const page = await api.get("/audit-log", { village_id: village?.id, limit: 50, cursor });
      cursor = page.next_cursor;
      const rows = page.items;
      results.append(
        table(rows, [
          { label: "时间", value: (e) => when(e.created_at) },
          { label: "操作人", value: (e) => `${ROLES[e.actor_role] || e.actor_role || "系统"}${e.actor_id ? ` #${e.actor_id}` : ""}` },
          { label: "操作", value: (e) => e.action, class: "mono" },
          { label: "对象", value: (e) => `${e.entity_type}${e.entity_id ? ` #${e.entity_id}` : ""}`, class: "mono" },
          { label: "变更", value: (e) => changes(e) },
        ], { empty: results.children.length ? "没有更多记录。" : "暂无操作记录。" }),
      );
      if (cursor) results.append(more);
      else more.remove();
    } catch (error) {
      showError(main, error);
    }
  }
  more.addEventListener("click", () => {
    more.remove();
    load();
  });
  return load();
}

function changes(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  if (!keys.length) return "";
  return h(
    "details",
    {},
    h("summary", {}, `${keys.length} 项`),
    h("ul", { class: "diff" }, keys.map((k) => h("li", {}, `${k}：${fmt(before[k])} → ${fmt(after[k])}`))),
  );
}

function fmt(value) {
  if (value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
