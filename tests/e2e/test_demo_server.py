"""What a newcomer sees after `make run`: the demo town served by gunicorn with two workers."""

import re

import pytest
import requests

pytestmark = pytest.mark.e2e


def post(server, path, payload, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server["url"] + path, json=payload, headers=headers, timeout=10)


def get(server, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server["url"] + path, headers=headers, timeout=10)


def test_demo_load_prints_the_logins(demo_server):
    assert "qt01-cw1" in demo_server["demo_output"]
    assert "demo1234" in demo_server["demo_output"]


@pytest.mark.parametrize(
    "username", ["admin", "qt-town", "qt01-cw1", "qt01-cw2", "qt02-cw1", "qt01-shop1", "qt02-shop1"]
)
def test_every_demo_staff_account_signs_in(demo_server, username):
    response = post(demo_server, "/api/v1/auth/login", {"username": username, "password": "demo1234"})
    assert response.status_code == 200, response.text


def test_demo_villagers_are_bound_and_other_codes_are_not(demo_server):
    bound = post(demo_server, "/api/v1/auth/wechat-login", {"code": "demo:qt02-0020"}).json()
    assert bound["bound"] is True
    me = get(demo_server, "/api/v1/me", bound["access_token"]).json()
    assert me["village"]["code"] == "QT02"
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", me["villager"]["id_number"])
    newcomer = post(demo_server, "/api/v1/auth/wechat-login", {"code": "demo:someone-new"}).json()
    assert newcomer["bound"] is False


def test_committee_sees_about_a_hundred_villagers_in_their_village(demo_server):
    token = post(demo_server, "/api/v1/auth/login", {"username": "qt01-cw1", "password": "demo1234"}).json()
    villages = get(demo_server, "/api/v1/villages", token["access_token"]).json()
    assert [v["code"] for v in villages] == ["QT01"]
    count, cursor = 0, None
    while True:
        page = get(
            demo_server, f"/api/v1/villagers?limit=200{'&cursor=' + cursor if cursor else ''}", token["access_token"]
        ).json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert 80 <= count <= 130


def test_metrics_add_up_across_workers(demo_server):
    for _ in range(30):
        assert get(demo_server, "/healthz").status_code == 200
    text = get(demo_server, "/metrics").text
    served = sum(
        float(value) for value in re.findall(r'flask_http_request_total\{[^}]*status="200"[^}]*\} ([0-9.e+]+)', text)
    )
    assert served >= 30
