"""schemathesis over /api/v1/openapi.json, once per role, against the demo town under gunicorn.

Every check schemathesis has (server errors, status codes, content types, response schemas, negative data
accepted, positive data refused, ...) and all phases, stateful links included, with a fixed seed. CI runs
`fuzz_role` at a small budget (tests/e2e/test_fuzz.py); this script runs the long version and prints, per role,
the requests made and the failures found by check, and writes schemathesis' reports under --report-dir.

    .venv/bin/python bench/fuzz.py [--database sqlite|postgresql] [--minutes 7] [--roles villager,committee,...]
"""

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import BIN, DemoTown, tokens  # noqa: E402 - after the path line above

ROLES = ("villager", "committee", "town_admin", "shopkeeper")
SEED = 20261207
# Signing out would revoke the token the rest of the run uses; the rest of /auth is fuzzed like everything else.
EXCLUDE_PATHS = ("/api/v1/auth/logout", "/api/v1/auth/refresh")
# Server settings for a fuzz run: tokens outlive it, and the per-client limits stay out of the way of one client
# that sends thousands of requests (the limits have tests of their own).
FUZZ_ENV = {
    "JWT_ACCESS_MINUTES": "600",
    "PAY_CODE_RATE_LIMIT": "100000 per minute",
    "LOGIN_FAILURE_LIMIT": "100000 per minute",
    "BINDING_MAX_FAILURES": "100000",
}


def fuzz_role(base: str, token: str, *, role: str, report_dir: Path, max_examples: int, max_time: int | None = None):
    """Run schemathesis as one role; returns {"requests", "failures": Counter(check -> n), "operations", "exit"}."""
    report = report_dir / f"{role}.ndjson"
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(max_examples),
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        "1",
        "--no-shrink",
        "--continue-on-failure",
        "--report",
        "ndjson,junit",
        "--report-ndjson-path",
        str(report),
        "--report-junit-path",
        str(report_dir / f"{role}.xml"),
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
    ]
    for path in EXCLUDE_PATHS:
        command += ["--exclude-path", path]
    if max_time:
        command += ["--max-time", str(max_time)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    (report_dir / f"{role}.txt").write_text(done.stdout + done.stderr)
    return summarise(report) | {"exit": done.returncode}


def summarise(ndjson: Path) -> dict:
    """Requests made, and failing (check, operation) pairs by check, read from schemathesis' event stream."""
    requests, failing = 0, set()
    for line in ndjson.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        requests += sum(1 for i in (recorder.get("interactions") or {}).values() if i.get("response") is not None)
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if check.get("status") == "failure":
                    operation = check["failure_info"]["failure"].get("operation") or recorder.get("label")
                    failing.add((check["name"], operation))
    return {"requests": requests, "failures": Counter(name for name, _ in failing), "failing": sorted(failing)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=7, help="budget per role")
    parser.add_argument("--max-examples", type=int, default=1000)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--report-dir", default=str(ROOT / "instance" / "fuzz"))
    args = parser.parse_args()
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with DemoTown(args.database, env=FUZZ_ENV) as town:
        role_tokens = tokens(town.url)
        print(f"schemathesis {SEED=} on {args.database}, {args.minutes} min per role, reports in {report_dir}")
        for role in args.roles.split(","):
            began = time.monotonic()
            result = fuzz_role(
                town.url,
                role_tokens[role],
                role=role,
                report_dir=report_dir,
                max_examples=args.max_examples,
                max_time=int(args.minutes * 60),
            )
            failed = ", ".join(f"{name} {n}" for name, n in sorted(result["failures"].items())) or "none"
            print(
                f"{role:11} {result['requests']:7} requests in {time.monotonic() - began:5.0f} s; "
                f"failures: {failed} (exit {result['exit']})"
            )


if __name__ == "__main__":
    main()
