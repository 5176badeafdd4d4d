"""The mini-program's engagement paths: home, badges, leaderboards, board, notices, applications, notifications."""

from datetime import date, datetime

import pytest

from backend import clock
from backend.database import write_transaction
from backend.models import Villager
from backend.rules import load_demo_rule_set
from backend.services.earning.awards import award_points
from backend.services.engagement.board import close_board_month
from tests.conftest import body
from tests.factories import auth, make_household, make_staff, make_village, make_villager, make_villager_user
from tests.factories.activities import make_rule_set

NOW = datetime(2026, 11, 18, 2, 0)
REAL_NOW = clock.now  # a Wednesday, 10:00 in the village


@pytest.fixture
def town(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    village = make_village()
    document = load_demo_rule_set("points_qt")
    # Without 最美家庭: these one-person households would earn it with every first activity.
    document["badges"] = [badge for badge in document["badges"] if badge.get("scope") != "household"]
    make_rule_set(village, document=document)
    household = make_household(village)
    zhang = make_villager(village, name="张三丰", household=household)
    li = make_villager(village, name="李四", household=make_household(village))
    wang = make_villager(village, name="王小二", household=make_household(village))
    return village, zhang, li, wang


def award(villager, key, *, on=date(2026, 11, 16), activity_type="vote", facts=None):
    with write_transaction() as session:
        award_points(
            session,
            villager=session.get(Villager, villager.id),
            activity_type=activity_type,
            facts=facts or {},
            on=on,
            source_type="test",
            source_id=1,
            idempotency_key=key,
        )


def test_leaderboard_masks_names_shows_my_row_in_full_and_respects_opt_out(client, town):
    _village, zhang, li, wang = town
    award(zhang, "z1", activity_type="checkin", facts={"event.kind": "volunteer", "event.hours": 2})  # 2 + 2 bonus
    award(li, "l1")
    award(wang, "w1")
    headers = auth(make_villager_user(li))
    board = body(client.get("/api/v1/leaderboards?scope=village&period=month", headers=headers))
    assert [(r["rank"], r["name"], r["points"]) for r in board["items"]] == [
        (1, "张*丰", 4),
        (2, "李四", 2),
        (2, "王*二", 2),
    ]
    assert board["me"] == {"rank": 2, "name": "李四", "points": 2, "is_me": True}
    assert (
        client.put(
            "/api/v1/me/privacy", json={"ranking_opt_out": True}, headers=auth(make_villager_user(zhang))
        ).status_code
        == 200
    )
    names = [r["name"] for r in body(client.get("/api/v1/leaderboards", headers=headers))["items"]]
    assert names[0] == "匿名村民"
    by_category = body(client.get("/api/v1/leaderboards?category=志愿服务&period=week", headers=headers))
    assert [(r["name"], r["points"]) for r in by_category["items"]] == [("匿名村民", 2)]
    assert by_category["me"]["rank"] == 2 and by_category["me"]["points"] == 0


def test_household_leaderboard_gives_total_and_per_capita(client, town):
    village, zhang, li, _wang = town
    make_villager(village, name="张小丰", household=db_household(zhang), is_head=False)
    award(zhang, "z1")
    award(li, "l1")
    staff = auth(make_staff("committee", village=village))
    rows = body(client.get(f"/api/v1/leaderboards?scope=household&village_id={village.id}", headers=staff))["items"]
    assert {(r["name"], r["points"], r["members"], r["per_capita"]) for r in rows} == {
        ("张*丰家", 2, 2, 1.0),
        ("李*家", 2, 1, 2.0),
    }
    per_capita = body(
        client.get(f"/api/v1/leaderboards?scope=household&order=per_capita&village_id={village.id}", headers=staff)
    )
    assert per_capita["items"][0]["name"] == "李*家"


def db_household(villager):
    from backend.extensions import db
    from backend.models import Household

    return db.session.get(Household, villager.household_id)


@pytest.mark.parametrize(
    ("query", "field"),
    [("period=day", "period"), ("scope=town", "scope"), ("limit=1.5", "limit"), ("order=name", "order")],
)
def test_leaderboard_refuses_bad_arguments(client, town, query, field):
    headers = auth(make_villager_user(town[1]))
    response = client.get(f"/api/v1/leaderboards?{query}", headers=headers)
    assert response.status_code == 422 and field in body(response)["errors"]


def test_staff_must_name_a_village_in_scope(client, town):
    village = town[0]
    staff = auth(make_staff("committee", village=village))
    assert body(client.get("/api/v1/leaderboards", headers=staff))["errors"] == {"village_id": ["请指定村。"]}
    other = make_village()
    assert client.get(f"/api/v1/leaderboards?village_id={other.id}", headers=staff).status_code == 404
    assert client.get(f"/api/v1/leaderboards?scope=group&village_id={village.id}", headers=staff).status_code == 422


def test_home_has_balance_stars_month_by_category_streak_badges_rank_and_unread(client, town):
    _village, zhang, _li, _wang = town
    award(
        zhang, "z1", activity_type="checkin", facts={"event.kind": "volunteer", "event.hours": 2}, on=date(2026, 11, 9)
    )
    award(zhang, "z2", on=date(2026, 11, 16))
    home = body(client.get("/api/v1/me/home", headers=auth(make_villager_user(zhang))))
    assert home["balance"] == 6
    assert home["stars"]["stars"] == 1 and home["stars"]["label"] == "参与星级"
    assert {c["category"]: c["points"] for c in home["month_by_category"]}["志愿服务"] == 2
    assert home["month_points"] == 6 and home["rank_in_village"] == 1
    assert home["streak"] == {"current": 2, "best": 2, "active_this_week": True}
    assert [b["label"] for b in home["latest_badges"]] == ["持之以恒·铜", "初次签到"]
    assert home["unread_notifications"] == 2


def test_unbound_user_and_staff_cannot_open_the_home_screen(client, town):
    assert client.get("/api/v1/me/home", headers=auth(make_villager_user())).status_code == 403
    assert client.get("/api/v1/me/home", headers=auth(make_staff("committee", village=town[0]))).status_code == 403


def test_badges_show_condition_and_progress(client, town):
    zhang = town[1]
    award(zhang, "z1", activity_type="checkin", facts={"event.kind": "volunteer", "event.hours": 2})
    badges = body(client.get("/api/v1/me/badges", headers=auth(make_villager_user(zhang))))
    assert [b["label"] for b in badges["earned"]] == ["初次签到"]
    pioneer = next(b for b in badges["locked"] if b["label"] == "志愿先锋·铜")
    assert pioneer["condition"] == "参加「志愿服务」类活动 3 次" and pioneer["progress"] == {"current": 1, "target": 3}


def test_notifications_list_unread_and_read(client, town):
    zhang = town[1]
    award(zhang, "z1", activity_type="checkin", facts={"event.kind": "volunteer", "event.hours": 2})
    headers = auth(make_villager_user(zhang))
    page = body(client.get("/api/v1/me/notifications", headers=headers))
    assert page["unread"] == 1 and page["items"][0]["title"] == "获得勋章"
    assert page["items"][0]["created_at"].endswith("+08:00")
    read = client.post(f"/api/v1/me/notifications/{page['items'][0]['id']}/read", headers=headers)
    assert read.status_code == 200 and body(read)["read_at"]
    assert body(client.get("/api/v1/me/notifications", headers=headers))["unread"] == 0
    other = auth(make_villager_user(town[2]))
    assert client.post(f"/api/v1/me/notifications/{page['items'][0]['id']}/read", headers=other).status_code == 404


def test_board_live_then_frozen_with_late_approvals_as_corrections(client, town, monkeypatch):
    village, zhang, li, _wang = town
    # Real time here: rows take their created_at from the real clock, and corrections compare it with the freeze.
    monkeypatch.setattr(clock, "now", REAL_NOW)
    award(zhang, "z1", on=date(2026, 10, 20))
    headers = auth(make_villager_user(li))
    live = body(client.get(f"/api/v1/villages/{village.id}/board?month=2026-10", headers=headers))
    assert live["frozen"] is False and [(r["name"], r["total"]) for r in live["rows"]] == [("张*丰", 2)]
    close_board_month(village_id=village.id, month=date(2026, 10, 1))
    award(li, "late", on=date(2026, 10, 30))  # recorded after the freeze, dated in October
    frozen = body(client.get(f"/api/v1/villages/{village.id}/board?month=2026-10", headers=headers))
    assert frozen["frozen"] is True and [r["name"] for r in frozen["rows"]] == ["张*丰"]
    assert [(c["name"], c["points"]) for c in frozen["corrections"]] == [("李四", 2)]
    assert body(client.get("/api/v1/me/notifications", headers=headers))["items"][-1]["title"] == "积分公示"


def test_another_villages_board_and_notices_are_refused(client, town):
    other = make_village()
    headers = auth(make_villager_user(town[1]))
    assert client.get(f"/api/v1/villages/{other.id}/board?month=2026-10", headers=headers).status_code == 404
    assert client.get(f"/api/v1/villages/{other.id}/notices", headers=headers).status_code == 404
    bad = client.get(f"/api/v1/villages/{town[0].id}/board?month=2026-13", headers=headers)
    assert bad.status_code == 422 and "month" in body(bad)["errors"]


def test_applications_and_notices_of_an_empty_village(client, town):
    headers = auth(make_villager_user(town[1]))
    assert body(client.get("/api/v1/me/applications", headers=headers)) == {"items": []}
    assert body(client.get(f"/api/v1/villages/{town[0].id}/notices", headers=headers)) == {"items": []}


def test_privacy_refuses_non_booleans(client, town):
    headers = auth(make_villager_user(town[1]))
    for value in ("yes", 1, None):
        assert client.put("/api/v1/me/privacy", json={"ranking_opt_out": value}, headers=headers).status_code == 422


def test_group_board_ranks_my_group_only_and_a_household_whose_head_opted_out_is_anonymous(client, town):
    _village, zhang, li, wang = town
    with write_transaction() as session:
        for person, group in ((zhang, "第一组"), (li, "第一组"), (wang, "第二组")):
            session.get(Villager, person.id).group_name = group
        session.get(Villager, zhang.id).ranking_opt_out = True
    award(zhang, "z1")
    award(li, "l1")
    award(wang, "w1")
    headers = auth(make_villager_user(li))
    group = body(client.get("/api/v1/leaderboards?scope=group", headers=headers))
    assert group["group"] == "第一组"
    assert [(r["name"], r["points"]) for r in group["items"]] == [("匿名村民", 2), ("李四", 2)]
    assert group["me"]["rank"] == 1
    households = body(client.get("/api/v1/leaderboards?scope=household", headers=headers))["items"]
    assert {r["name"] for r in households} == {"匿名农户", "李四家", "王*二家"}
