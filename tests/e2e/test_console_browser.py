"""The committee console in a real browser against a real gunicorn serving the demo town.

Needs Debian's Chromium (/usr/bin/chromium; `scripts/ensure-chromium.sh`) and the `playwright` package; without
them the test skips, except under CI=true where it fails. Screenshots go to bench/out/ for a human to look at.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE = ROOT / "tests" / "data" / "roster-dongcun-messy.xlsx"
SHOTS = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def _require_browser():
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} is missing (run scripts/ensure-chromium.sh)")
    if problems:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + "; ".join(problems))
        pytest.skip("browser test needs " + "; ".join(problems))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def _python(env: dict, code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"loading the demo town failed:\n{result.stderr[-3000:]}"


def _wait_until_up(url: str, server: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{server.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310 - loopback URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # readiness polling of a starting process, not timing a behaviour
    pytest.fail("gunicorn did not answer /healthz in time")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A gunicorn on a free loopback port over a fresh SQLite database with the demo town loaded."""
    _require_browser()
    root = tmp_path_factory.mktemp("console")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "development",
        "DEMO_MODE": "true",
        "DATABASE_URL": f"sqlite:///{root / 'village.db'}",
        "INSTANCE_PATH": str(root),
        "UPLOAD_FOLDER": str(root / "uploads"),
        "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
        "LOG_LEVEL": "WARNING",
    }
    (root / "metrics").mkdir()
    _flask(env, "db", "upgrade")
    # The demo town's roster and staff accounts (what this test touches): the full `flask demo load` adds months of
    # history and takes ~20 s, which would double the test's time.
    _python(
        env,
        "from backend import create_app; from backend.demo import people; app = create_app(); "
        "app.app_context().push(); people.load(echo=lambda *_: None)",
    )
    port = _free_port()
    bind = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", "2", "--bind", bind, "wsgi:app"],
        cwd=ROOT,
        env={**env, "BIND": bind},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://{bind}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        context.set_default_timeout(8000)
        page = context.new_page()
        problems: list[str] = []
        # Script errors, CSP violations, and any failed request (with its URL, unlike the console's message).
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "response", lambda r: problems.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None
        )
        page.problems = problems
        yield page
        browser.close()


def test_committee_member_signs_in_sees_masked_roster_and_dry_runs_the_messy_sheet(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/admin")
    page.get_by_label("用户名").fill("qt01-cw1")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.locator(".form-message.error").inner_text()  # the API's Chinese message, shown on the form
    assert [p.split(server)[-1].split("?")[0] for p in page.problems] == ["/api/v1/auth/login"]
    page.problems.clear()

    page.get_by_label("密码").fill("demo1234")
    page.get_by_role("button", name="登录").click()
    roster = page.locator("[data-testid=roster-table]")
    roster.wait_for()
    assert "东村" in page.locator("header.top").inner_text()
    ids = roster.locator("tbody tr td:nth-child(4)").all_inner_texts()
    phones = [p for p in roster.locator("tbody tr td:nth-child(5)").all_inner_texts() if p]
    assert len(ids) == 20
    assert all(MASKED_ID.match(i) for i in ids), ids[:3]
    assert phones and all(MASKED_PHONE.match(p) for p in phones), phones[:3]
    page.screenshot(path=str(SHOTS / "console-roster.png"), full_page=True)

    page.get_by_role("link", name="导入花名册").first.click()
    page.get_by_label("花名册文件").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="检查（不导入）").click()
    bad_rows = page.locator("[data-testid=bad-rows] tbody tr")
    bad_rows.first.wait_for()
    assert bad_rows.count() == 6
    assert page.locator("[data-testid=bad-rows] tbody tr td:first-child").all_inner_texts() == [
        str(n + 2) for n in (16, 20, 24, 26, 29, 32)
    ]
    assert page.get_by_role("button", name="导入", exact=True).is_disabled()
    page.screenshot(path=str(SHOTS / "console-roster-import.png"), full_page=True)
    assert not page.problems, page.problems


def test_expired_access_token_is_refreshed_without_signing_in_again(server, page):
    page.goto(server + "/admin")
    page.get_by_label("用户名").fill("qt01-cw2")
    page.get_by_label("密码").fill("demo1234")
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid=roster-table]").wait_for()
    # Spoil the access token: the next call gets 401, spends the refresh token once and retries.
    before = page.evaluate("JSON.parse(sessionStorage.getItem('vc-console-session'))")
    page.evaluate(
        "s => sessionStorage.setItem('vc-console-session', JSON.stringify({...s, access: s.access + 'x'}))", before
    )
    page.get_by_role("link", name="操作日志").click()
    page.get_by_role("heading", name="操作日志").wait_for()
    page.locator("main table.grid, main p.empty").first.wait_for()
    assert not page.locator("main .form-message.error").count()
    after = page.evaluate("JSON.parse(sessionStorage.getItem('vc-console-session'))")
    assert after["refresh"] != before["refresh"]  # rotated
    assert page.locator("form.login").count() == 0
    page.get_by_role("button", name="退出").click()
    page.locator("form.login").wait_for()
    assert page.evaluate("sessionStorage.getItem('vc-console-session')") is None
    assert [p.split(server)[-1].split("?")[0] for p in page.problems] == [
        "/api/v1/audit-log"
    ]  # the spoiled token, once
