"""The demo town of DESIGN.md: what `make run` loads into an empty database.

Each part lives in its own module and runs in order; a later part may use what an earlier one made.
"""

from sqlalchemy import select

from backend.extensions import db
from backend.models import Town

DEMO_PASSWORD = "demo1234"  # noqa: S105 - demo mode only; production refuses DEMO_MODE


def demo_parts() -> list:
    from backend.demo import activities, city, credit, engagement, people, shops, submissions

    return [people.load, activities.load, submissions.load, credit.load, shops.load, city.load, engagement.load]


def load_demo_town(*, echo=print) -> bool:
    """Load the demo town unless the database already has a town; True if it loaded."""
    if db.session.execute(select(Town.id).limit(1)).first() is not None:
        return False
    for load in demo_parts():
        load(echo=echo)
    return True


DEMO_LOGINS = """\
Demo logins (password demo1234):
  admin       platform admin
  qt-town     桥头镇 town admin
  qt01-cw1    东村 (QT01) committee        qt01-cw2  东村 committee
  qt02-cw1    西村 (QT02) committee
  qt01-shop1  东村 partner-shop keeper     qt02-shop1  西村 partner-shop keeper
  cx-city     慈溪市 city admin              ghw-town  观海卫镇 town admin
  ghw01-cw1, ghw01-cw2  南村 (GHW01) committee
Bank (OAuth client credentials): client_id demo-bank, client_secret demo-bank-secret
Villagers (WeChat stand-in): POST /api/v1/auth/wechat-login {"code": "demo:qt01-0001"}
  bound: demo:qt01-0001 ... demo:qt01-0020, demo:qt02-0001 ... demo:qt02-0020; any other demo:<x> is unbound
"""
