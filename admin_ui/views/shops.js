// Partner shops: rewards, monthly settlement (view, export, close) and the village's funding per point.

import { api, download } from "../api.js";
import { badge, busy, clear, field, h, messageLine, pageTitle, showError, showOk, table, today, when } from "../ui.js";

export const path = "shops";
export const title = "积分超市与结算";
export const requires = ["/api/v1/shops", "/api/v1/shops/{shop_id}/settlement"];

export async function render(main, { village, params }) {
  const line = messageLine();
  clear(main, pageTitle(title), line);
  let shops;
  try {
    shops = await api.get("/shops");
  } catch (error) {
    return showError(main, error);
  }
  main.append(
    table(
      shops,
      [
        { label: "店名", value: (s) => h("a", { href: `#/shops?id=${s.id}` }, s.name) },
        { label: "地址", value: (s) => s.address || "" },
        { label: "营业时间", value: (s) => s.opening_hours || "" },
        { label: "范围", value: (s) => (s.village_id ? "本村" : "全镇") },
        { label: "状态", value: (s) => badge(s.status === "active" ? "营业中" : s.status, s.status === "active" ? "ok" : "muted") },
      ],
      { empty: "还没有合作商店。" },
    ),
  );
  if (village) main.append(await funding(village));
  const shop = shops.find((s) => String(s.id) === params.id);
  if (shop) main.append(await shopDetail(shop, params.month || today().slice(0, 7)));
  return undefined;
}

async function funding(village) {
  const box = h("form", { class: "card", novalidate: true });
  try {
    const current = await api.get(`/villages/${village.id}/shop-funding`);
    const perPoint = h("input", { name: "yuan_per_point", value: current.yuan_per_point ?? "", inputmode: "decimal" });
    const budget = h("input", { name: "monthly_budget_points", type: "number", min: 0, value: current.monthly_budget_points ?? "" });
    const save = h("button", { type: "submit" }, "保存");
    box.append(
      h("h2", {}, `${village.name} 兑换资金`),
      h("div", { class: "row" }, field("每分折合（元）", perPoint), field("每月兑换上限（分，留空为不限）", budget), save),
      messageLine(),
    );
    box.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, box, async () => {
        await api.put(`/villages/${village.id}/shop-funding`, {
          yuan_per_point: perPoint.value.trim(),
          monthly_budget_points: budget.value === "" ? null : Number(budget.value),
        });
        showOk(box, "已保存。");
      });
    });
  } catch (error) {
    box.append(messageLine());
    showError(box, error);
  }
  return box;
}

async function shopDetail(shop, month) {
  const box = h("section", { class: "card" });
  const monthInput = h("input", { name: "month", type: "month", value: month });
  monthInput.addEventListener("change", () => {
    location.hash = `#/shops?id=${shop.id}&month=${monthInput.value}`;
  });
  const exportButton = h("button", { type: "button", class: "secondary" }, "导出结算单（Excel）");
  exportButton.addEventListener("click", () =>
    busy(exportButton, box, () => download(`/shops/${shop.id}/settlement.xlsx`, `结算-${shop.name}-${month}.xlsx`, { month })),
  );
  const close = h("button", { type: "button" }, "月结（锁定本月数据）");
  close.addEventListener("click", () =>
    busy(close, box, async () => {
      await api.post(`/shops/${shop.id}/settlement/close`, {}, { month });
      showOk(box, "已月结。");
    }),
  );
  box.append(h("h2", {}, shop.name), h("div", { class: "toolbar" }, field("月份", monthInput), exportButton, close), messageLine());
  try {
    const [settlement, items, sales] = await Promise.all([
      api.get(`/shops/${shop.id}/settlement`, { month }),
      api.get(`/shops/${shop.id}/items`),
      api.get(`/shops/${shop.id}/sales`, { month, limit: 50 }),
    ]);
    box.append(
      h("h3", {}, `${month} 结算${settlement.closed ? "（已月结）" : ""}`),
      h("p", {}, `兑换 ${settlement.redemptions} 笔，撤销 ${settlement.voids} 笔，共 ${settlement.points} 分，应付 ${settlement.amount_yuan} 元。`),
      table(settlement.villages, [
        { label: "村", value: (v) => v.village_name },
        { label: "兑换笔数", value: (v) => String(v.redemptions) },
        { label: "撤销", value: (v) => String(v.voids) },
        { label: "积分", value: (v) => String(v.points) },
        { label: "每分（元）", value: (v) => v.yuan_per_point },
        { label: "金额（元）", value: (v) => v.amount_yuan },
      ]),
      h("h3", {}, "最近兑换"),
      table(sales.items, [
        { label: "小票号", value: (s) => s.receipt_no, class: "mono" },
        { label: "时间", value: (s) => when(s.created_at) },
        { label: "商品", value: (s) => s.items.map((i) => `${i.name}×${i.quantity}`).join("、") },
        { label: "积分", value: (s) => String(s.points) },
        { label: "状态", value: (s) => (s.status === "voided" ? badge("已撤销", "muted") : badge("有效", "ok")) },
      ], { empty: "本月没有兑换。" }),
      h("h3", {}, "奖品"),
      table(items, [
        { label: "名称", value: (i) => i.name },
        { label: "积分", value: (i) => String(i.price_points) },
        { label: "库存", value: (i) => (i.unlimited ? "不限" : String(i.stock)) },
        { label: "每人每月限兑", value: (i) => (i.monthly_limit == null ? "不限" : String(i.monthly_limit)) },
        { label: "上架", value: (i) => (i.is_active ? badge("上架", "ok") : badge("下架", "muted")) },
      ]),
    );
  } catch (error) {
    showError(box, error);
  }
  return box;
}
