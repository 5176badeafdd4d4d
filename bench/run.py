"""`make bench`: every figure of issue 15 in one table, today's run next to the recorded "before" run.

Runs bench/redeem.py (both databases), bench/credit.py and bench/verify.py in turn, each writing its figures as
JSON, then prints one markdown table: target, before and now, PostgreSQL and SQLite. "Before" is
bench/before.json: the same benches run on the code before issue 15 (main at d81eec9), same machine.

    .venv/bin/python bench/run.py [--quick] [--save FILE]

`--quick` (a few minutes, for development): shorter runs, 10,000 villagers; its figures are not the table's.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
KINDS = ("postgresql", "sqlite")


def run_benches(quick: bool, workdir: Path) -> dict:
    redeem = ["--seconds", "4", "--repeat", "1", "--open-seconds", "15"] if quick else []
    credit = ["--villagers", "10000", "--events", "100000", "--repeat", "1"] if quick else []
    verify = ["--transfers", "20000", "--repeat", "1"] if quick else []
    figures = {}
    for name, extra in (("redeem", redeem), ("credit", credit), ("verify", verify)):
        out = workdir / f"{name}.json"
        started = time.perf_counter()
        subprocess.run([PYTHON, str(HERE / f"{name}.py"), *extra, "--json", str(out)], check=True)
        print(f"-- bench/{name}.py took {time.perf_counter() - started:.0f} s", flush=True)
        figures[name] = json.loads(out.read_text())
    return figures


def rows(figures: dict) -> list[tuple[str, str, dict]]:
    """(what, target, {kind: cell text}) for one run's figures."""

    def each(cell) -> dict:
        found = {}
        for kind in KINDS:
            try:
                found[kind] = cell(kind)
            except (KeyError, TypeError, ZeroDivisionError):
                found[kind] = "n/a"
        return found

    redeem, credit, verify = figures.get("redeem", {}), figures.get("credit", {}), figures.get("verify", {})

    def r(kind, name):
        return redeem[kind][name]

    def ratio(a, b):
        return a / b

    return [
        (
            "raw transaction",
            "(baseline)",
            each(lambda k: f"{r(k, 'raw')['rps']:.0f} req/s, {r(k, 'raw')['cpu_app']:.2f} ms app CPU"),
        ),
        (
            "signed-in read / raw",
            ">= 0.85",
            each(
                lambda k: (
                    f"**{ratio(r(k, 'app_read')['rps'], r(k, 'raw')['rps']):.2f}** "
                    f"({r(k, 'app_read')['rps']:.0f} req/s, {r(k, 'app_read')['cpu_app']:.2f} ms; "
                    f"floor read {ratio(r(k, 'floor_read')['rps'], r(k, 'raw')['rps']):.2f})"
                )
            ),
        ),
        (
            "redemption / floor probe",
            ">= 0.9",
            each(
                lambda k: (
                    f"**{ratio(r(k, 'app_sale')['rps'], r(k, 'floor_sale')['rps']):.2f}** "
                    f"({r(k, 'app_sale')['rps']:.0f} vs {r(k, 'floor_sale')['rps']:.0f} req/s; "
                    f"{r(k, 'app_sale')['cpu_app']:.1f} vs {r(k, 'floor_sale')['cpu_app']:.1f} ms app CPU; "
                    f"{len(redeem[k]['traces']['app'])} vs {len(redeem[k]['traces']['floor'])} statements)"
                )
            ),
        ),
        (
            "redemption / raw",
            "(was 0.15 / 0.08)",
            each(lambda k: f"{ratio(r(k, 'app_sale')['rps'], r(k, 'raw')['rps']):.2f}"),
        ),
        ("approval / its floor probe", ">= 0.9", each(lambda k: "not measured")),
        (
            "redemption with 500 credit entries vs none",
            "<= 1.1x",
            each(
                lambda k: (
                    f"**{ratio(r(k, 'app_sale_500')['cpu_app'], r(k, 'app_sale')['cpu_app']):.2f}x** CPU "
                    f"({r(k, 'app_sale_500')['cpu_app']:.1f} vs {r(k, 'app_sale')['cpu_app']:.1f} ms; "
                    f"{r(k, 'app_sale_500')['rps']:.0f} vs {r(k, 'app_sale')['rps']:.0f} req/s)"
                )
            ),
        ),
        (
            "open loop 100/s Poisson, 60 s",
            "p99 <= 25 ms, p99.9 <= 60 ms, 0 errors",
            each(
                lambda k: (
                    f"p99 **{r(k, 'open_loop')['p99']:.0f}** ms, p99.9 **{r(k, 'open_loop')['p999']:.0f}** ms, "
                    f"{r(k, 'open_loop')['errors']} errors (p50 {r(k, 'open_loop')['p50']:.0f} ms, "
                    f"{r(k, 'open_loop')['rate']:.0f}/s)"
                )
            ),
        ),
        (
            "credit recompute 100k / 1M vs GROUP BY",
            "<= 4x (PG) / <= 2x (SQLite)",
            each(
                lambda k: (
                    f"**{credit[k]['ratio']:.1f}x** ({credit[k]['recompute_s']:.2f} s vs "
                    f"{credit[k]['group_by_s']:.2f} s)"
                )
            ),
        ),
        (
            "ledger verify / hashlib, same bytes",
            ">= 0.5",
            each(
                lambda k: (
                    f"**{verify[k]['ratio']:.2f}** ({verify[k]['verify_per_s']:,.0f} vs "
                    f"{verify[k]['hashlib_per_s']:,.0f} entries/s)"
                )
            ),
        ),
        (
            "gunicorn worker RSS after the bench",
            "<= 120 MB",
            each(lambda k: " / ".join(f"{mb:.0f}" for mb in redeem[k]["rss_mb"]) + " MB"),
        ),
        ("ledger verify after the bench", "clean", each(lambda k: redeem[k]["verify"].split(":")[0])),
        (
            "load generator CPU (closed / open loop)",
            "small",
            each(
                lambda k: (
                    f"{max(r(k, n)['client_cpu'] for n in ('raw', 'app_read', 'app_sale')):.0%} / "
                    f"{r(k, 'open_loop')['client_cpu']:.0%} of a core"
                )
            ),
        ),
    ]


def table(before: dict, now: dict) -> str:
    lines = [
        "| figure | target | PostgreSQL before | PostgreSQL now | SQLite before | SQLite now |",
        "|---|---|---|---|---|---|",
    ]
    for (what, target, old), (_, _, new) in zip(rows(before), rows(now), strict=True):
        lines.append(
            f"| {what} | {target} | {old['postgresql']} | {new['postgresql']} | {old['sqlite']} | {new['sqlite']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", help="write this run's figures (JSON) here, e.g. to record a new before.json")
    parser.add_argument("--figures", help="print the table from figures saved earlier instead of running")
    args = parser.parse_args()
    if args.figures:
        now = json.loads(Path(args.figures).read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            now = run_benches(args.quick, Path(tmp))
    if args.save:
        Path(args.save).write_text(json.dumps(now, indent=1, default=str))
    before_file = HERE / "before.json"
    before = json.loads(before_file.read_text()) if before_file.exists() else {}
    print()
    print(table(before, now))
    for kind in KINDS:
        if kind in now.get("redeem", {}):
            traces = now["redeem"][kind]["traces"]
            print(f"\n{kind} statements, product: {', '.join(traces['app'])}")
            print(f"{kind} statements, floor:   {', '.join(traces['floor'])}")


if __name__ == "__main__":
    main()
