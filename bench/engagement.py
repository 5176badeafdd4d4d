"""The villager's home screen and a 3,000-person village's leaderboard, beside the signed-in read floor of the same run.

For each database: a fresh database with one village of 3,000 villagers in 1,000 households, this week's, month's
and year's points tallies for every villager in six categories (what awards leave behind), badges and
notifications for the villager who asks; gunicorn with the repo's gunicorn.conf.py (2 sync workers), and wrk
(bench/load.py, closed loop, 16 connections) for `--seconds` each:
  floor:       GET /api/v1/shops/{id} by a shopkeeper (bench/redeem.py's signed-in read: token checks, one read)
  home:        GET /api/v1/me/home
  leaderboard: GET /api/v1/leaderboards?scope=village&period=month (top 50 + the caller's row and rank)
  households:  GET /api/v1/leaderboards?scope=household&period=month
The target: home and the leaderboard within 2x the floor (at least half its requests/s).

    .venv/bin/python bench/engagement.py [--seconds 10] [--connections 16] [--only postgresql|sqlite]
"""

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load
from redeem import ROOT, bench_app, brief, create_database, free_port, measured, server_processes, start_server

sys.path.insert(0, str(ROOT))
PEOPLE = 3000
CATEGORIES = ("民主评议", "环境美化", "平安治理", "志愿服务", "在线学习", "建言献策")


def seed(url: str) -> dict:
    """Schema and the village; tokens of a shopkeeper and of a villager."""
    from backend import clock
    from backend.extensions import db
    from backend.models import (
        BadgeAward,
        Household,
        Notification,
        Participation,
        PointsTally,
        RewardItem,
        RuleSet,
        Shop,
        Town,
        User,
        Village,
        Villager,
    )
    from backend.rules import load_demo_rule_set
    from backend.services.auth.sessions import start_session
    from backend.services.engagement.periods import period_keys

    app = bench_app(url)  # signs tokens with the key the bench's server checks
    rng = random.Random(3000)
    with app.app_context():
        db.create_all()
        town = Town(code="BT", name="压测镇")
        db.session.add(town)
        db.session.flush()
        village = Village(town_id=town.id, code="BT01", name="压测村")
        db.session.add(village)
        db.session.flush()
        document = load_demo_rule_set("points_qt")
        db.session.add(
            RuleSet(
                village_id=village.id,
                kind="points",
                version=1,
                status="published",
                effective_from=clock.today().replace(month=1, day=1),
                document=document,
            )
        )
        shop = Shop(town_id=town.id, village_id=village.id, name="压测超市", status="active")
        db.session.add(shop)
        db.session.flush()
        db.session.add(RewardItem(shop_id=shop.id, village_id=village.id, name="肥皂", price_points=1, stock=None))
        db.session.execute(
            Household.__table__.insert(),
            [
                {"village_id": village.id, "code": f"H{n:04d}", "created_at": clock.now(), "updated_at": clock.now()}
                for n in range(PEOPLE // 3)
            ],
        )
        households = list(db.session.execute(db.select(Household.id)).scalars())
        surnames = "王李张刘陈杨赵黄周吴"
        db.session.execute(
            Villager.__table__.insert(),
            [
                {
                    "village_id": village.id,
                    "household_id": households[n // 3],
                    "name": rng.choice(surnames) + rng.choice(["建国", "秀英", "小明", "伟", "芳", "志强"]),
                    "sex": "男",
                    "is_head": n % 3 == 0,
                    "group_name": f"第{n % 8 + 1}组",
                    "id_number_cipher": b"x",
                    "id_number_index": f"bench-{n}",
                    "id_number_masked": "330282********0000",
                    "status": "active",
                    "frozen": False,
                    "created_at": clock.now(),
                    "updated_at": clock.now(),
                }
                for n in range(PEOPLE)
            ],
        )
        people = list(db.session.execute(db.select(Villager.id)).scalars())
        rows = []
        for villager_id in people:
            points = {category: rng.randint(0, 20) for category in CATEGORIES}
            for period, key in period_keys(clock.today()).items():
                scale = {"week": 1, "month": 4, "year": 40}[period]
                for category, n in points.items():
                    rows.append(
                        {
                            "village_id": village.id,
                            "villager_id": villager_id,
                            "period": period,
                            "period_key": key,
                            "category": category,
                            "points": n * scale,
                            "activities": scale,
                        }
                    )
                rows.append(
                    {
                        "village_id": village.id,
                        "villager_id": villager_id,
                        "period": period,
                        "period_key": key,
                        "category": "",
                        "points": sum(points.values()) * scale,
                        "activities": 6 * scale,
                    }
                )
        db.session.execute(PointsTally.__table__.insert(), rows)
        me = people[PEOPLE // 2]
        db.session.add(
            Participation(
                village_id=village.id,
                villager_id=me,
                lifetime_points=180,
                stars=3,
                current_streak=4,
                best_streak=6,
                last_active_week=clock.today(),
            )
        )
        for code in ("B01", "B02", "B06"):
            db.session.add(
                BadgeAward(
                    village_id=village.id,
                    holder_key=f"villager:{me}",
                    villager_id=me,
                    badge_code=code,
                    tier="bronze",
                    label=code,
                    condition="压测",
                    awarded_on=clock.today(),
                    bonus_points=0,
                )
            )
        for n in range(30):
            db.session.add(
                Notification(
                    village_id=village.id,
                    villager_id=me,
                    kind="badge_earned",
                    title="获得勋章",
                    body=f"压测 {n}",
                    read_at=None if n % 3 else clock.now(),
                )
            )
        keeper = User(
            role="shopkeeper", username="bench-keeper", town_id=town.id, village_id=village.id, shop_id=shop.id
        )
        villager = User(role="villager", openid="bench-me", villager_id=me, village_id=village.id, town_id=town.id)
        db.session.add_all([keeper, villager])
        db.session.commit()
        result = {
            "keeper": start_session(keeper).access_token,
            "villager": start_session(villager).access_token,
            "shop_id": shop.id,
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def bench(kind: str, seconds: float, connections: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-engagement-{kind}-"))
    url, drop = create_database(kind, workdir)
    try:
        seeded = seed(url)
        requests = {
            "signed-in read": (f"/api/v1/shops/{seeded['shop_id']}", seeded["keeper"]),
            "me/home": ("/api/v1/me/home", seeded["villager"]),
            "leaderboard": ("/api/v1/leaderboards?scope=village&period=month", seeded["villager"]),
            "households": ("/api/v1/leaderboards?scope=household&period=month", seeded["villager"]),
        }
        port = free_port()
        server = start_server(url, port, workdir)

        def run(path, token, duration):
            return lambda: load.closed_loop(
                port, method="GET", path=path, seconds=duration, connections=connections, env={"BENCH_AUTH": token}
            )

        try:
            for path, token in requests.values():
                run(path, token, 2)()  # warm both workers, their pools and statement caches
            processes = server_processes(server, kind)
            return {name: measured(processes, run(path, token, seconds)) for name, (path, token) in requests.items()}
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["postgresql", "sqlite"]
    print(f"{PEOPLE} villagers, gunicorn 2 sync workers, {args.connections} connections, {args.seconds:.0f} s each")
    for kind in kinds:
        results = bench(kind, args.seconds, args.connections)
        floor = results["signed-in read"]
        for name, figures in results.items():
            times = floor["rps"] / figures["rps"] if figures["rps"] else float("inf")
            cpu = figures["cpu_app"] / floor["cpu_app"]
            print(f"{kind:10} {name:15} {times:4.2f}x the floor's time, {cpu:4.2f}x its app CPU  {brief(figures)}")


if __name__ == "__main__":
    main()
