// Review queue: photo and speak claims; approve with an amount (booked by the rule) or reject with a reason.

import { api } from "../api.js";
import { badge, busy, clear, field, h, messageLine, pageTitle, showError, showOk, when } from "../ui.js";

export const path = "review";
export const title = "审核";
export const requires = ["/api/v1/review/submissions", "/api/v1/submissions/{submission_id}/approve"];

const STATUSES = [
  ["pending", "待审核"],
  ["awaiting_second_approval", "待复核"],
  ["held", "暂缓（内容检查中）"],
  ["approved", "已通过"],
  ["rejected", "已驳回"],
];
const OPEN = new Set(["pending", "awaiting_second_approval", "held"]);
const TYPES = { photo: "拍一拍", speak: "说一说" };

export async function render(main, { params }) {
  const status = params.status || "pending";
  const list = h("div", { class: "cards" });
  const line = messageLine();
  const filter = h(
    "div",
    { class: "tabs" },
    STATUSES.map(([value, label]) =>
      h("a", { href: `#/review?status=${value}`, class: value === status ? "active" : "" }, label),
    ),
  );
  clear(main, pageTitle(title), filter, line, list);
  let cursor = null;

  async function more() {
    try {
      const page = await api.get("/review/submissions", { status, limit: 20, cursor });
      cursor = page.next_cursor;
      list.querySelector(".more")?.remove();
      if (!page.items.length && !list.children.length) list.append(h("p", { class: "empty" }, "没有需要处理的申报。"));
      for (const item of page.items) list.append(card(item));
      if (cursor) list.append(h("button", { type: "button", class: "secondary more", onclick: more }, "加载更多"));
    } catch (error) {
      showError(main, error);
    }
  }

  function card(item) {
    const box = h("article", { class: "card submission" });
    const amount = h("input", { name: "amount", type: "number", min: 0, value: item.proposed_points ?? "" });
    const note = h("input", { name: "note", maxlength: 200 });
    const reason = h("input", { name: "reason", maxlength: 200 });
    const approve = h("button", { type: "button" }, item.first_approver_id ? "复核通过" : "通过");
    const reject = h("button", { type: "button", class: "danger" }, "驳回");
    const decided = messageLine();
    approve.addEventListener("click", () =>
      busy(approve, box, async () => {
        const body = { note: note.value.trim() || undefined };
        if (amount.value !== "") body.amount = Number(amount.value);
        const result = await api.post(`/submissions/${item.id}/approve`, body);
        done(result.status === "approved" ? `已通过，发放 ${result.points_awarded ?? 0} 分。` : "已记录初审，待另一位村委复核。");
      }),
    );
    reject.addEventListener("click", () =>
      busy(reject, box, async () => {
        await api.post(`/submissions/${item.id}/reject`, { reason: reason.value.trim() });
        done("已驳回。");
      }),
    );
    function done(text) {
      for (const b of box.querySelectorAll("button, input")) b.disabled = true;
      showOk(box, text);
    }
    box.append(
      h(
        "header",
        {},
        h("strong", {}, item.villager_name),
        badge(TYPES[item.activity_type] || item.activity_type),
        item.flagged ? badge("疑似重复照片", "warn") : null,
        item.assisted ? badge("代录", "muted") : null,
        item.appealed ? badge("申诉", "warn") : null,
        h("span", { class: "muted" }, when(item.created_at)),
      ),
      item.text ? h("p", {}, item.text) : null,
      h(
        "div",
        { class: "photos" },
        (item.files || []).map((f) =>
          f.thumbnail_url || f.url
            ? h("a", { href: f.url, target: "_blank", rel: "noopener" }, h("img", { src: f.thumbnail_url || f.url, alt: "证据照片" }))
            : h("span", { class: "muted" }, f.kind === "voice" ? "（语音）" : "（附件）"),
        ),
      ),
      item.hold_reason ? h("p", { class: "muted" }, `暂缓原因：${item.hold_reason}`) : null,
      item.appeal_reason ? h("p", {}, `申诉理由：${item.appeal_reason}`) : null,
      item.rejection_reason ? h("p", {}, `驳回原因：${item.rejection_reason}`) : null,
      OPEN.has(item.status)
        ? h(
            "div",
            { class: "decide" },
            field("积分", amount),
            field("备注", note),
            approve,
            field("驳回原因", reason),
            reject,
          )
        : h("p", { class: "muted" }, item.points_awarded != null ? `发放 ${item.points_awarded} 分` : ""),
      decided,
    );
    return box;
  }

  return more();
}
