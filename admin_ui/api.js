// The JSON API client: bearer tokens in sessionStorage, one refresh (with rotation) on 401, one error type.

const BASE = "/api/v1";
const KEY = "vc-console-session";

export class ApiError extends Error {
  constructor(body, httpStatus) {
    super(body?.message || `请求失败（${httpStatus}）`);
    this.code = body?.code ?? httpStatus;
    this.status = body?.status ?? "error";
    this.errors = body?.errors ?? {};
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function saveSession(tokens) {
  const previous = session() || {};
  const next = {
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    user: tokens.user ?? previous.user,
    villageId: previous.villageId ?? tokens.user?.village_id ?? null,
  };
  sessionStorage.setItem(KEY, JSON.stringify(next));
  return next;
}

export function setVillage(villageId) {
  const current = session();
  if (current) sessionStorage.setItem(KEY, JSON.stringify({ ...current, villageId }));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function parse(response) {
  const type = response.headers.get("Content-Type") || "";
  if (response.status === 204) return null;
  if (type.includes("application/json")) return response.json();
  return null;
}

// Several requests may hit 401 at once; they share one refresh so the rotated token is spent only once.
let refreshing = null;
function refreshTokens() {
  if (!refreshing) {
    refreshing = (async () => {
      const current = session();
      if (!current?.refresh) return false;
      const response = await fetch(`${BASE}/auth/refresh`, {
        method: "POST",
        headers: { Authorization: `Bearer ${current.refresh}`, Accept: "application/json" },
      });
      if (!response.ok) return false;
      saveSession(await response.json());
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function send(path, { method = "GET", json, form, query, raw = false } = {}, retried = false) {
  const url = new URL(BASE + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  const token = session()?.access;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch {
    throw new ApiError({ code: 0, status: "network", message: "网络连接失败，请检查网络后重试。" }, 0);
  }
  if (response.status === 401 && token && !retried) {
    if (await refreshTokens()) return send(path, { method, json, form, query, raw }, true);
    clearSession();
    onSignedOut("登录已过期，请重新登录。");
  }
  if (!response.ok) throw new ApiError(await parse(response).catch(() => null), response.status);
  return raw ? response : parse(response);
}

export const api = {
  get: (path, query) => send(path, { query }),
  post: (path, json, query) => send(path, { method: "POST", json: json ?? {}, query }),
  patch: (path, json) => send(path, { method: "PATCH", json }),
  put: (path, json) => send(path, { method: "PUT", json }),
  upload: (path, form, query) => send(path, { method: "POST", form, query }),
  blob: async (path, query) => (await send(path, { query, raw: true })).blob(),
};

export async function signIn(username, password) {
  const response = await fetch(`${BASE}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  }).catch(() => null);
  if (!response) throw new ApiError({ code: 0, status: "network", message: "网络连接失败，请检查网络后重试。" }, 0);
  const data = await parse(response).catch(() => null);
  if (!response.ok) throw new ApiError(data, response.status);
  clearSession();
  return saveSession(data);
}

export async function signOut() {
  try {
    await send("/auth/logout", { method: "POST" }, true);
  } finally {
    clearSession();
  }
}

/** Fetch a file with the bearer token and hand it to the browser as a download. */
export async function download(path, filename, query) {
  const blob = await api.blob(path, query);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

let spec = null;
/** The live OpenAPI paths, so that pages for endpoints not yet deployed stay hidden. */
export async function availablePaths() {
  if (!spec) {
    const response = await fetch(`${BASE}/openapi.json`).catch(() => null);
    spec = response?.ok ? await response.json() : { paths: {} };
  }
  return new Set(Object.keys(spec.paths || {}));
}
