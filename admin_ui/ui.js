// Small DOM helpers. Text always goes in as text nodes, never as HTML, so API data cannot inject markup.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "multiple", "required"]);

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (PROPERTIES.has(name) || (name in node && typeof value !== "string")) node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** A table from rows and columns `[{label, value: row => text|Node}]`; an empty list says so. */
export function table(rows, columns, { empty = "暂无记录。", testid } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    { class: "grid", dataset: testid ? { testid } : {} },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c.label)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.value(row) ?? "")))),
    ),
  );
}

/** A form field: label, control and the place where the API's messages for `name` appear. */
export function field(label, control, name = control.name) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "label" }, label),
    control,
    h("span", { class: "field-error", dataset: { errorFor: name }, role: "alert" }),
  );
}

/**
 * Show an API error in a form: messages for named fields next to those fields, the rest (and the summary
 * message) in the form's message line.
 */
export function showError(container, error) {
  for (const slot of container.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const control of container.querySelectorAll(".invalid")) control.classList.remove("invalid");
  const leftovers = [];
  for (const [name, messages] of Object.entries(error?.errors || {})) {
    const text = flatten(messages).join("；");
    const slot = container.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = text;
      slot.closest(".field")?.querySelector("input, select, textarea")?.classList.add("invalid");
    } else {
      leftovers.push(name === "_schema" ? text : `${name}：${text}`);
    }
  }
  const line = container.querySelector(".form-message");
  if (line) {
    line.className = "form-message error";
    line.textContent = [error?.message, ...leftovers].filter(Boolean).join(" ");
  }
}

export function showOk(container, text) {
  for (const slot of container.querySelectorAll("[data-error-for]")) slot.textContent = "";
  const line = container.querySelector(".form-message");
  if (line) {
    line.className = "form-message ok";
    line.textContent = text;
  }
}

function flatten(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flatten);
  if (messages && typeof messages === "object") {
    return Object.entries(messages).flatMap(([key, value]) => flatten(value).map((m) => `${key}：${m}`));
  }
  return [String(messages)];
}

export function messageLine() {
  return h("p", { class: "form-message", role: "status" });
}

/** Run an async action with the button disabled, reporting failures in `container`. */
export async function busy(button, container, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(container, error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

/** The API sends naive UTC date-times; show them in village time. */
export function when(value) {
  if (!value) return "";
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const moment = new Date(text);
  return Number.isNaN(moment.getTime()) ? value : dateTime.format(moment);
}

export function today() {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

export function pageTitle(text, ...extra) {
  return h("div", { class: "page-head" }, h("h1", {}, text), ...extra);
}
