"""Where a request's time goes: cProfile of the signed-in read and of the redemption, in-process (no server).

Seeds a database as bench/redeem.py does, warms up, then profiles `--requests` of each through the WSGI app
(werkzeug's test client) and prints the top entries by own time and a summary by package. Used for the profiles
quoted in the README; figures are CPU of this process only (the database server's share is not in them).

    .venv/bin/python bench/hotpaths.py [--db sqlite|postgresql] [--requests 1000] [--top 25]
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import redeem


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            package = filename.split("site-packages/")[1].split("/")[0]
        elif "/backend/" in filename:
            package = "backend." + filename.split("/backend/")[1].split("/")[0].removesuffix(".py")
        elif filename.startswith(("~", "<")):
            package = "builtins"
        else:
            package = "stdlib"
        totals[package] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="profile-"))
    url, drop = redeem.create_database(args.db, workdir)
    try:
        seeded = redeem.seed(url, codes=args.requests * 4 + 400)
        codes = redeem.Codes(seeded["plain"])
        app = redeem.bench_app(url)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {seeded['token']}"}

        def read():
            response = client.get(f"/api/v1/shops/{seeded['shop_id']}", headers=auth)
            assert response.status_code == 200

        def sale():
            body = {
                "pay_code": codes.one(),
                "shop_id": seeded["shop_id"],
                "items": [{"item_id": seeded["item_id"], "quantity": 1}],
            }
            response = client.post(
                "/api/v1/redemptions", json=body, headers={**auth, "Idempotency-Key": uuid.uuid4().hex}
            )
            assert response.status_code == 201, response.get_data(as_text=True)

        for name, call in (("signed-in read", read), ("redemption", sale)):
            for _ in range(50):
                call()
            began = time.process_time()
            for _ in range(args.requests):
                call()
            plain = (time.process_time() - began) / args.requests * 1000
            print(f"\n=== {args.db} {name}: {plain:.2f} ms CPU per request (this process, no profiler)")
            began = time.process_time()
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for the database
            profiler.enable()
            for _ in range(args.requests):
                call()
            profiler.disable()
            cpu = (time.process_time() - began) / args.requests * 1000
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            calls = sum(nc for (_cc, nc, _t, _c, _k) in stats.stats.values()) / args.requests
            print(f"\n=== {args.db} {name}: {cpu:.2f} ms CPU per request under the profiler, {calls:,.0f} calls")
            total = sum(t for _p, t in by_package(stats))
            print("by package (own time): " + ", ".join(f"{p} {t / total:.0%}" for p, t in by_package(stats)[:12]))
            stats.sort_stats("tottime").print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-(args.top + 3) * 200 :])
    finally:
        drop()


if __name__ == "__main__":
    main()
