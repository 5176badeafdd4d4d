"""The demo town plays the game: badges, streaks, last month's frozen board, villagers at every star."""

import pytest
from sqlalchemy import func, select

from backend.demo import activities, engagement, people, submissions
from backend.extensions import db
from backend.models import BadgeAward, BoardMonth, Participation, Village, Villager
from tests.conftest import body


@pytest.mark.slow
def test_demo_has_badges_streaks_a_frozen_board_and_every_star_in_each_village(app, client, backend_name):
    if backend_name != "sqlite":
        pytest.skip("the demo data do not depend on the database; one load is enough")
    for part in (people, activities, submissions, engagement):
        part.load(echo=lambda *_: None)
    for village in db.session.execute(select(Village)).scalars():
        stars = set(
            db.session.execute(select(Participation.stars).where(Participation.village_id == village.id)).scalars()
        )
        idle = db.session.execute(
            select(func.count(Villager.id)).where(
                Villager.village_id == village.id,
                ~select(Participation.id).where(Participation.villager_id == Villager.id).exists(),
            )
        ).scalar_one()
        assert stars | ({1} if idle else set()) == {1, 2, 3, 4, 5}, village.code
        assert db.session.execute(
            select(func.count(BadgeAward.id)).where(BadgeAward.village_id == village.id)
        ).scalar_one()
        assert (
            db.session.execute(
                select(func.max(Participation.best_streak)).where(Participation.village_id == village.id)
            ).scalar_one()
            >= 4
        )
        board = db.session.execute(select(BoardMonth).where(BoardMonth.village_id == village.id)).scalar_one()
        assert board.rows
    login = client.post("/api/v1/auth/wechat-login", json={"code": "demo:qt01-0001"})
    headers = {"Authorization": f"Bearer {body(login)['access_token']}"}
    home = body(client.get("/api/v1/me/home", headers=headers))
    assert home["latest_badges"] and home["stars"]["stars"] >= 1
    month = board.month.strftime("%Y-%m")
    village_id = body(client.get("/api/v1/me", headers=headers))["village"]["id"]
    shown = body(client.get(f"/api/v1/villages/{village_id}/board?month={month}", headers=headers))
    assert shown["frozen"] and any(row["name"] == "匿名村民" for row in shown["rows"])
