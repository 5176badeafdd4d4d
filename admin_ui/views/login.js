// Sign-in: username and password; the API's messages appear next to the fields they name.

import { signIn } from "../api.js";
import { busy, field, formData, h, messageLine } from "../ui.js";

export function renderLogin({ message, onSignedIn }) {
  const line = messageLine();
  if (message) line.textContent = message;
  const button = h("button", { type: "submit" }, "登录");
  const form = h(
    "form",
    { class: "login card", novalidate: true, "aria-label": "登录" },
    h("h1", {}, "村级积分信用管理台"),
    h("p", { class: "hint" }, "村委、镇管理员请用工作账号登录。"),
    field("用户名", h("input", { name: "username", autocomplete: "username", autofocus: true })),
    field("密码", h("input", { name: "password", type: "password", autocomplete: "current-password" })),
    line,
    button,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { username, password } = formData(form);
    busy(button, form, async () => onSignedIn(await signIn(username.trim(), password)));
  });
  return h("div", { class: "login-page" }, form);
}
