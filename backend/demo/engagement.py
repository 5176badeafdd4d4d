"""The game in the demo town: last month's 积分公示 frozen in both villages, a few villagers out of public rankings.

Badges, streaks, tallies and stars need no loading of their own: the earlier parts book every past activity through
`award_points`, which counts it in the game as it happens.
"""

from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import Village, Villager
from backend.services.engagement.board import close_board_month

# Roster positions (within each village) of villagers who chose to leave public rankings.
OPTED_OUT = (5, 12)


def load(*, echo=print) -> None:
    last_month = (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    villages = select(Village.id, Village.code).order_by(Village.id)
    for village_id, code in db.session.execute(villages).all():
        with write_transaction() as session:
            people = (
                session.execute(select(Villager).where(Villager.village_id == village_id).order_by(Villager.id))
                .scalars()
                .all()
            )
            for position in OPTED_OUT:
                if position < len(people):
                    people[position].ranking_opt_out = True
        close_board_month(village_id=village_id, month=last_month)
        echo(f"  {code}: {last_month:%Y-%m} 积分公示 frozen")
