// Roster import: check the sheet first (dry run), list every bad row, then import all rows or none.

import { api } from "../api.js";
import { busy, clear, field, h, messageLine, pageTitle, showError, showOk, table } from "../ui.js";

export const path = "roster-import";
export const title = "导入花名册";
export const requires = ["/api/v1/villages/{village_id}/roster-imports"];

export async function render(main, { village }) {
  if (!village) return clear(main, pageTitle(title), h("p", { class: "empty" }, "没有可管理的村。"));
  const file = h("input", { name: "file", type: "file", accept: ".xlsx,.csv" });
  const checkButton = h("button", { type: "submit" }, "检查（不导入）");
  const importButton = h("button", { type: "button", disabled: true }, "导入");
  const line = messageLine();
  const report = h("div", { class: "report", dataset: { testid: "import-report" } });
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("p", { class: "hint" }, "支持 .xlsx 与 .csv。先检查，确认没有问题行后再导入；导入时要么全部成功，要么一行也不写入。"),
    field("花名册文件", file),
    h("div", { class: "actions" }, checkButton, importButton),
    line,
  );

  let canImport = false;
  async function run(dryRun) {
    if (!file.files.length) {
      showError(form, { message: "请先选择文件。", errors: { file: ["请选择 .xlsx 或 .csv 文件。"] } });
      return;
    }
    const body = new FormData();
    body.append("file", file.files[0]);
    try {
      const result = await api.upload(`/villages/${village.id}/roster-imports`, body, { dry_run: String(dryRun) });
      showReport(result);
      canImport = dryRun && result.errors.length === 0 && result.valid_rows > 0;
    } catch (error) {
      canImport = false;
      clear(report, rowProblems(error.errors?.rows));
      showError(form, error);
    }
  }

  function showReport(result) {
    const summary = result.dry_run
      ? `检查完成：共 ${result.total_rows} 行，${result.valid_rows} 行有效，${result.errors.length} 行有问题。`
      : `导入完成：新增 ${result.created} 人，更新 ${result.updated} 人，未变 ${result.unchanged} 人，新建 ${result.households_created} 户。`;
    if (result.errors.length) showError(form, { message: `${summary}请修改表格后重新检查。` });
    else showOk(form, result.dry_run ? `${summary}可以导入。` : summary);
    clear(
      report,
      result.errors.length
        ? [
            h("h2", {}, `有问题的行（${result.errors.length}）`),
            table(
              result.errors,
              [
                { label: "行号", value: (e) => String(e.row) },
                { label: "列", value: (e) => e.column || "" },
                { label: "原因", value: (e) => e.reason },
                { label: "内容", value: (e) => e.value ?? "", class: "mono" },
              ],
              { testid: "bad-rows" },
            ),
          ]
        : null,
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(checkButton, form, () => run(true)).then(() => {
      importButton.disabled = !canImport;
    });
  });
  importButton.addEventListener("click", () =>
    busy(importButton, form, () => run(false)).then(() => {
      importButton.disabled = !canImport;
    }),
  );
  file.addEventListener("change", () => {
    canImport = false;
    importButton.disabled = true;
    clear(report);
    line.textContent = "";
  });
  clear(main, pageTitle(`${title} · ${village.name}`, h("a", { href: "#/roster" }, "返回花名册")), form, report);
  return undefined;
}

function rowProblems(rows) {
  if (!Array.isArray(rows) || !rows.length) return null;
  return [h("h2", {}, "有问题的行"), h("ul", { class: "problems" }, rows.map((r) => h("li", {}, String(r))))];
}
