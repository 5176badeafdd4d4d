// The console shell: sign-in, village picker, navigation by URL hash, and the pages in views/.

import { api, availablePaths, session, setVillage, signOut, whenSignedOut } from "./api.js";
import { clear, h } from "./ui.js";
import { renderLogin } from "./views/login.js";
import * as roster from "./views/roster.js";
import * as rosterImport from "./views/roster-import.js";
import * as review from "./views/review.js";
import * as activities from "./views/activities.js";
import * as rulesets from "./views/rulesets.js";
import * as shops from "./views/shops.js";
import * as audit from "./views/audit.js";
import * as credit from "./views/credit.js";

// Each page names the API path it needs; a page whose endpoint is not deployed yet is left out of the menu.
const PAGES = [roster, rosterImport, review, activities, rulesets, shops, credit, audit];
const ROLE_NAMES = { committee: "村委", town_admin: "镇管理员", admin: "平台管理员" };
const STAFF = new Set(Object.keys(ROLE_NAMES));

const root = document.getElementById("app");
let villages = [];

whenSignedOut((message) => showLogin(message));
window.addEventListener("hashchange", () => route());

async function start() {
  if (!session()) return showLogin();
  try {
    villages = await api.get("/villages");
  } catch (error) {
    if (!session()) return undefined;
    villages = [];
    console.warn(error);
  }
  const current = session();
  if (!villages.some((v) => v.id === current.villageId) && villages.length) setVillage(villages[0].id);
  return route();
}

function showLogin(message) {
  clear(root, renderLogin({ message, onSignedIn: onSignedIn }));
}

function onSignedIn(current) {
  if (!STAFF.has(current.user?.role)) {
    signOut().finally(() => showLogin("此账号不是村委或镇管理员账号，不能使用管理台。"));
    return;
  }
  if (!location.hash) location.hash = "#/roster";
  start();
}

async function route() {
  const current = session();
  if (!current) return showLogin();
  const paths = await availablePaths();
  const pages = PAGES.filter((page) => page.requires.every((p) => paths.has(p)));
  const name = (location.hash.replace(/^#\/?/, "").split("?")[0] || "roster").split("/")[0];
  const page = pages.find((p) => p.path === name) || pages[0];
  const main = h("main", { class: "content", id: "content" });
  clear(root, header(current), h("div", { class: "body" }, nav(pages, page), main));
  document.title = `${page.title} · 村级积分信用管理台`;
  const village = villages.find((v) => v.id === session().villageId) || null;
  try {
    await page.render(main, { village, villages, user: current.user, params: hashParams() });
  } catch (error) {
    if (session()) clear(main, h("p", { class: "form-message error" }, error.message || String(error)));
  }
  return undefined;
}

function hashParams() {
  const query = location.hash.split("?")[1] || "";
  return Object.fromEntries(new URLSearchParams(query));
}

function header(current) {
  const picker =
    villages.length > 1
      ? h(
          "select",
          {
            "aria-label": "选择村",
            onchange: (event) => {
              setVillage(Number(event.target.value));
              route();
            },
          },
          villages.map((v) => h("option", { value: String(v.id), selected: v.id === current.villageId }, v.name)),
        )
      : h("span", { class: "village" }, villages[0]?.name || "");
  return h(
    "header",
    { class: "top" },
    h("span", { class: "brand" }, "村级积分信用管理台"),
    picker,
    h("span", { class: "spacer" }),
    h(
      "span",
      { class: "who" },
      `${current.user?.display_name || ""}（${ROLE_NAMES[current.user?.role] || current.user?.role || ""}）`,
    ),
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: async () => {
          await signOut().catch(() => {});
          location.hash = "";
          showLogin("已退出登录。");
        },
      },
      "退出",
    ),
  );
}

function nav(pages, active) {
  return h(
    "nav",
    { class: "side" },
    h(
      "ul",
      {},
      pages.map((p) =>
        h("li", {}, h("a", { href: `#/${p.path}`, class: p === active ? "active" : "" }, p.title)),
      ),
    ),
  );
}

start();
