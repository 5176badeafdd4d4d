// Roster: search and page through the village's villagers (numbers masked), export, binding codes.

import { api, download } from "../api.js";
import { badge, busy, clear, h, messageLine, pageTitle, showError, table, when } from "../ui.js";

export const path = "roster";
export const title = "花名册";
export const requires = ["/api/v1/villagers", "/api/v1/villages/{village_id}/roster.xlsx"];

const STATUS = { active: "在册", moved_out: "迁出", deceased: "已故" };
const PAGE_SIZE = 20;

export async function render(main, { village }) {
  if (!village) return clear(main, pageTitle(title), h("p", { class: "empty" }, "没有可管理的村。"));
  const line = messageLine();
  const results = h("div", { class: "results" });
  const pager = h("div", { class: "pager" });
  const codePanel = h("div", { class: "binding-panel" });
  const search = h("input", { name: "q", type: "search", placeholder: "姓名、身份证号或手机号", "aria-label": "搜索" });
  const cursors = [null];

  async function load(index) {
    try {
      const page = await api.get("/villagers", {
        village_id: village.id,
        q: search.value.trim(),
        limit: PAGE_SIZE,
        cursor: cursors[index],
      });
      cursors.length = index + 1;
      if (page.next_cursor) cursors.push(page.next_cursor);
      clear(results, villagerTable(page.items));
      clear(
        pager,
        h("button", { type: "button", class: "secondary", disabled: index === 0, onclick: () => load(index - 1) }, "上一页"),
        h("span", {}, `第 ${index + 1} 页`),
        h("button", { type: "button", class: "secondary", disabled: !page.next_cursor, onclick: () => load(index + 1) }, "下一页"),
      );
      line.textContent = "";
    } catch (error) {
      showError(main, error);
    }
  }

  function villagerTable(items) {
    return table(
      items,
      [
        { label: "编号", value: (v) => String(v.id), class: "mono" },
        { label: "姓名", value: (v) => v.name },
        { label: "性别", value: (v) => v.sex },
        { label: "身份证号", value: (v) => v.id_number, class: "mono" },
        { label: "手机号", value: (v) => v.phone || "", class: "mono" },
        { label: "小组", value: (v) => v.group_name || "" },
        { label: "与户主关系", value: (v) => (v.is_head ? "户主" : v.relation || "") },
        {
          label: "状态",
          value: (v) => [
            badge(STATUS[v.status] || v.status, v.status === "active" ? "ok" : "muted"),
            v.frozen ? badge("已冻结", "warn") : null,
            v.bound ? badge("已绑定微信", "ok") : badge("未绑定", "muted"),
          ],
        },
        {
          label: "操作",
          value: (v) =>
            h("button", { type: "button", class: "link", onclick: (e) => issueCode(e.target, v) }, "生成绑定码"),
        },
      ],
      { empty: "没有找到村民。", testid: "roster-table" },
    );
  }

  async function issueCode(button, villager) {
    await busy(button, main, async () => {
      const issued = await api.post(`/villagers/${villager.id}/binding-code`);
      const png = await api.blob(`/villagers/${villager.id}/binding-code.png`, { code: issued.code });
      const image = h("img", { src: URL.createObjectURL(png), alt: `${villager.name}的绑定二维码`, width: 180, height: 180 });
      clear(
        codePanel,
        h(
          "div",
          { class: "card binding" },
          h("h2", {}, `${villager.name} 的绑定码`),
          h("p", { class: "code" }, issued.code),
          image,
          h("p", { class: "hint" }, `有效期至 ${when(issued.expires_at)}；村民在小程序中输入或扫码即可绑定。`),
          h("button", { type: "button", class: "secondary", onclick: () => clear(codePanel) }, "关闭"),
        ),
      );
    });
  }

  const exportButton = h("button", { type: "button", class: "secondary" }, "导出花名册（Excel）");
  exportButton.addEventListener("click", () =>
    busy(exportButton, main, () => download(`/villages/${village.id}/roster.xlsx`, `${village.code}-花名册.xlsx`)),
  );
  const form = h(
    "form",
    { class: "toolbar", role: "search" },
    search,
    h("button", { type: "submit" }, "搜索"),
    h("a", { href: "#/roster-import", class: "button secondary" }, "导入花名册"),
    exportButton,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cursors.length = 1;
    load(0);
  });
  clear(main, pageTitle(`${title} · ${village.name}`), form, line, codePanel, results, pager);
  return load(0);
}
