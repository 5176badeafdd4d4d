"""The committee console under /admin: its files, their types, the security policy, and no outside links."""

import re

import pytest

from backend.api.console import UI_DIR
from tests.conftest import body

UI_FILES = sorted(p for p in UI_DIR.rglob("*") if p.is_file())
SCRIPTS = [p for p in UI_FILES if p.suffix == ".js"]


def test_console_is_served_at_admin_with_a_strict_content_security_policy(client):
    response = client.get("/admin")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<script type="module" src="/admin/app.js"></script>' in html
    assert "村级积分信用管理台" in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/admin/", "/admin/roster", "/admin/rulesets/12"])
def test_page_paths_fall_back_to_the_index_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data() == (UI_DIR / "index.html").read_bytes()
    assert "Content-Security-Policy" in response.headers


def test_every_script_is_served_as_javascript_and_the_stylesheet_as_css(client):
    for script in SCRIPTS:
        response = client.get(f"/admin/{script.relative_to(UI_DIR).as_posix()}")
        assert response.status_code == 200, script
        assert response.content_type == "text/javascript; charset=utf-8", script
    assert client.get("/admin/style.css").content_type == "text/css; charset=utf-8"


def test_every_module_the_console_imports_is_served(client):
    for script in SCRIPTS:
        for target in re.findall(r'^import .*? from "(\.[^"]+)";', script.read_text(), flags=re.M | re.S):
            resolved = (script.parent / target).resolve().relative_to(UI_DIR).as_posix()
            assert client.get(f"/admin/{resolved}").status_code == 200, f"{script.name} imports missing {target}"


def test_a_missing_file_is_404_rather_than_the_index_page(client):
    response = client.get("/admin/views/missing.js")
    assert response.status_code == 404
    assert body(response)["status"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/admin/%2e%2e/backend/config.py", "/admin/..%2fwsgi.py", "/admin/%2e%2e/%2e%2e/etc/passwd"]
)
def test_files_outside_the_console_folder_are_not_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 or response.get_data() == (UI_DIR / "index.html").read_bytes()


def test_no_console_file_loads_anything_from_another_host():
    for path in UI_FILES:
        text = path.read_text(encoding="utf-8")
        assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, flags=re.I), path
        assert "@import" not in text, path


def test_index_page_has_no_inline_script_style_or_handler():
    html = (UI_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, flags=re.I)


def test_every_page_of_the_menu_calls_endpoints_the_api_has(client):
    """A page whose endpoints are missing from the OpenAPI document is hidden from the menu; none should be."""
    paths = set(body(client.get("/api/v1/openapi.json"))["paths"])
    pages = sorted((UI_DIR / "views").glob("*.js"))
    required = {
        page.stem: re.findall(r'"(/api/v1/[^"]+)"', match.group(1))
        for page in pages
        if (match := re.search(r"export const requires = \[(.*?)\];", page.read_text(), flags=re.S))
    }
    shown = {"roster", "roster-import", "review", "rulesets", "shops", "credit", "audit"}
    assert set(required) >= shown
    missing = {page: [p for p in required[page] if p not in paths] for page in shown}
    assert not any(missing.values()), missing


def test_console_files_stay_small_enough_to_read_at_once():
    for path in UI_FILES:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path
