// Rule sets: versions per kind, the JSON document in an editor, validation per rule and field, publishing,
// rollback by copy, and (where the API offers it) simulation of a draft over the whole village.

import { api, availablePaths } from "../api.js";
import { badge, busy, clear, field, h, messageLine, pageTitle, showError, showOk, table, today, when } from "../ui.js";

export const path = "rulesets";
export const title = "规则集";
export const requires = ["/api/v1/rule-sets", "/api/v1/rule-sets/{rule_set_id}/validate"];

const KINDS = [
  ["points", "积分规则"],
  ["credit", "信用规则"],
];
const STATUS = { draft: ["草稿", "warn"], published: ["已发布", "ok"], superseded: ["已被取代", "muted"] };
const SIMULATE = "/api/v1/rule-sets/{rule_set_id}/simulate";

export async function render(main, { village, params }) {
  if (!village) return clear(main, pageTitle(title), h("p", { class: "empty" }, "没有可管理的村。"));
  const kind = params.kind || "points";
  const line = messageLine();
  const detail = h("section", { class: "ruleset-detail" });
  const tabs = h(
    "div",
    { class: "tabs" },
    KINDS.map(([value, label]) => h("a", { href: `#/rulesets?kind=${value}`, class: value === kind ? "active" : "" }, label)),
  );
  const newDraft = h("button", { type: "button" }, "新建草稿（复制现行版本）");
  newDraft.addEventListener("click", () =>
    busy(newDraft, main, async () => {
      const draft = await api.post("/rule-sets", { village_id: village.id, kind });
      location.hash = `#/rulesets?kind=${kind}&id=${draft.id}`;
    }),
  );
  clear(main, pageTitle(`${title} · ${village.name}`, newDraft), tabs, line);

  let versions;
  try {
    versions = (await api.get("/rule-sets", { village_id: village.id, kind, limit: 200 })).items;
  } catch (error) {
    return showError(main, error);
  }
  main.append(
    table(
      versions,
      [
        { label: "版本", value: (r) => h("a", { href: `#/rulesets?kind=${kind}&id=${r.id}` }, `第 ${r.version} 版`) },
        { label: "状态", value: (r) => badge(...(STATUS[r.status] || [r.status])) },
        { label: "生效日期", value: (r) => r.effective_from || "" },
        { label: "停用日期", value: (r) => r.superseded_on || "" },
        { label: "发布时间", value: (r) => when(r.published_at) },
      ],
      { empty: "还没有规则集。" },
    ),
    detail,
  );
  const chosen = versions.find((r) => String(r.id) === params.id);
  if (chosen) await showVersion(detail, chosen, village, kind);
  return undefined;
}

async function showVersion(detail, ruleSet, village, kind) {
  const draft = ruleSet.status === "draft";
  const editor = h("textarea", {
    name: "document",
    class: "json-editor",
    spellcheck: false,
    readOnly: !draft,
    value: JSON.stringify(ruleSet.document, null, 2),
  });
  const checks = h("div", { class: "checks" });
  const line = messageLine();
  const box = h("div", { class: "card" });
  const buttons = [];

  function button(label, action, cls) {
    const b = h("button", { type: "button", class: cls }, label);
    b.addEventListener("click", () => busy(b, box, action));
    buttons.push(b);
    return b;
  }

  function parsed() {
    try {
      return JSON.parse(editor.value);
    } catch (error) {
      throw { message: "规则文档不是有效的 JSON。", errors: { document: [error.message] } };
    }
  }

  async function save() {
    return api.patch(`/rule-sets/${ruleSet.id}`, { document: parsed() });
  }

  if (draft) {
    const effective = h("input", { name: "effective_from", type: "date", value: today() });
    button("保存草稿", async () => {
      await save();
      showOk(box, "草稿已保存。");
    });
    button("校验", async () => {
      await save();
      showCheck(checks, await api.post(`/rule-sets/${ruleSet.id}/validate`));
      showOk(box, "已校验，结果见下方。");
    }, "secondary");
    if ((await availablePaths()).has(SIMULATE)) {
      button("模拟（与现行版本对比）", async () => {
        await save();
        showSimulation(checks, await api.post(`/rule-sets/${ruleSet.id}/simulate`));
        showOk(box, "模拟完成，结果见下方。");
      }, "secondary");
    }
    const publish = button("发布", async () => {
      const published = await api.post(`/rule-sets/${ruleSet.id}/publish`, { effective_from: effective.value });
      location.hash = `#/rulesets?kind=${kind}&id=${published.id}&published=${Date.now()}`;
    });
    box.append(
      h("h2", {}, `第 ${ruleSet.version} 版（草稿）`),
      h("p", { class: "hint" }, "发布需另一位村委操作；发布后不可修改，生效日期之前发生的事项不会重新计分。"),
      field("规则文档（JSON）", editor),
      h("div", { class: "actions" }, buttons.filter((b) => b !== publish), field("生效日期", effective), publish),
      line,
    );
  } else {
    button(`以第 ${ruleSet.version} 版为底稿新建草稿（回滚）`, async () => {
      const copy = await api.post("/rule-sets", { village_id: village.id, kind, copy_of: ruleSet.id });
      location.hash = `#/rulesets?kind=${kind}&id=${copy.id}`;
    }, "secondary");
    box.append(
      h("h2", {}, `第 ${ruleSet.version} 版（${STATUS[ruleSet.status]?.[0] || ruleSet.status}，只读）`),
      field("规则文档（JSON）", editor),
      h("div", { class: "actions" }, buttons),
      line,
    );
  }
  clear(detail, box, checks);
}

function flattenErrors(errors, prefix = "") {
  if (Array.isArray(errors)) {
    return errors.every((e) => typeof e !== "object") ? [[prefix || "文档", errors.join("；")]] : errors.flatMap((e, i) => flattenErrors(e, `${prefix}[${i}]`));
  }
  if (errors && typeof errors === "object") {
    return Object.entries(errors).flatMap(([key, value]) => flattenErrors(value, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix || "文档", String(errors)]];
}

function showCheck(target, result) {
  const problems = flattenErrors(result.errors || {});
  clear(
    target,
    h("h2", {}, result.valid ? "校验通过" : "校验未通过"),
    problems.length
      ? table(problems, [
          { label: "位置（规则 / 字段）", value: (p) => p[0], class: "mono" },
          { label: "问题", value: (p) => p[1] },
        ])
      : null,
    goldenTable(result.golden_tests || []),
  );
}

function goldenTable(tests) {
  if (!tests.length) return null;
  return [
    h("h3", {}, "样例测试"),
    table(tests, [
      { label: "样例", value: (t) => t.name },
      { label: "结果", value: (t) => (t.passed ? badge("通过", "ok") : badge("未通过", "danger")) },
      { label: "期望", value: (t) => JSON.stringify(t.expected), class: "mono" },
      { label: "实际", value: (t) => JSON.stringify(t.actual), class: "mono" },
    ]),
  ];
}

function showSimulation(target, result) {
  const matrix = result.level_matrix || {};
  const levels = [...new Set([...Object.keys(matrix), ...Object.values(matrix).flatMap((row) => Object.keys(row))])];
  const label = (level) => (level === "null" || level === "" ? "无等级" : level);
  const summary = result.summary || {};
  clear(
    target,
    h("h2", {}, "模拟结果"),
    h(
      "p",
      {},
      `共 ${summary.people ?? "?"} 人：分数变化 ${summary.changed ?? "?"} 人（升 ${summary.up ?? "?"}，降 ${summary.down ?? "?"}），等级变化 ${summary.level_changed ?? "?"} 人。`,
    ),
    h("h3", {}, "等级变化矩阵（行：现行等级，列：草稿等级）"),
    levels.length
      ? h(
          "table",
          { class: "grid matrix", dataset: { testid: "level-matrix" } },
          h("thead", {}, h("tr", {}, h("th", {}, "现行 \\ 草稿"), levels.map((l) => h("th", {}, label(l))))),
          h(
            "tbody",
            {},
            levels.map((from) =>
              h(
                "tr",
                {},
                h("th", {}, label(from)),
                levels.map((to) => {
                  const n = matrix[from]?.[to] ?? 0;
                  return h("td", { class: from === to ? "same" : n ? "moved" : "" }, String(n));
                }),
              ),
            ),
          ),
        )
      : h("p", { class: "empty" }, "无人。"),
    h("h3", {}, "规则触发次数"),
    table(Object.entries(result.rule_fires || {}), [
      { label: "规则", value: ([code]) => code, class: "mono" },
      { label: "次数", value: ([, f]) => String(f.count) },
      { label: "合计", value: ([, f]) => String(f.total) },
    ]),
    (result.silent_rules || []).length ? h("p", {}, `从未触发的规则：${result.silent_rules.join("、")}`) : null,
    goldenTable(result.golden || []),
  );
}
