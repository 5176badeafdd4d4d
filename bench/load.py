"""Load generators of the bench, each reporting the CPU it used itself.

- `closed_loop`: wrk (C, epoll; Debian package `wrk`, installed by scripts/ensure-wrk.sh) keeps `connections`
  requests in flight for `seconds`; throughput and latency. Bodies come from bench/wrk_requests.lua (a fresh pay
  code and Idempotency-Key per redemption).
- `open_loop`: requests arrive at a fixed mean rate whatever the server does (Poisson: exponential gaps), sent by
  one asyncio process with aiohttp; each latency is measured from the request's scheduled time, so a stalled
  server shows as latency instead of as fewer requests (no coordinated omission).
"""

import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import aiohttp

LUA = Path(__file__).with_name("wrk_requests.lua")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def closed_loop(port: int, *, method: str, path: str, seconds: float, connections: int, env: dict | None = None):
    """wrk with 2 threads; returns rps, p50/p99/p99.9 (ms), errors and wrk's CPU in % of a core."""
    threads = 2
    environment = {**os.environ, "BENCH_METHOD": method, "BENCH_PATH": path, "BENCH_THREADS": str(threads)}
    environment["BENCH_RUN"] = uuid.uuid4().hex
    environment.update(env or {})
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:.0f}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
    ]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed:\n{output}")
    summary = json.loads(output.strip().splitlines()[-1])
    elapsed = summary["duration_us"] / 1e6
    errors = sum(summary[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": (summary["requests"] - summary["status"]) / elapsed,
        "requests": summary["requests"],
        "errors": errors,
        "p50": summary["p50"] / 1000,
        "p99": summary["p99"] / 1000,
        "p999": summary["p999"] / 1000,
        "client_cpu": (usage.ru_utime + usage.ru_stime) / elapsed,
    }


def open_loop(port: int, *, rate: float, seconds: float, make_request, seed: int = 15) -> dict:
    """`make_request()` -> (method, path, body bytes or None, headers) for each arrival; Poisson at `rate`/s."""
    return asyncio.run(_open_loop(port, rate, seconds, make_request, random.Random(seed)))


async def _open_loop(port, rate, seconds, make_request, rng) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    base = f"http://127.0.0.1:{port}"
    # One fresh connection per request, as a shop's terminal would open it (and the sync workers close it anyway).
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    cpu_began = resource.getrusage(resource.RUSAGE_SELF)

    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:

        async def send(due: float, request) -> None:
            nonlocal failures
            method, path, body, headers = request
            try:
                async with client.request(method, path, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            except (TimeoutError, aiohttp.ClientError):
                failures += 1
                return
            latencies.append(time.perf_counter() - due)

        tasks = []
        started = time.perf_counter()
        due = started
        while True:
            due += rng.expovariate(rate)
            if due - started >= seconds:
                break
            request = make_request()  # built before the due time, so that its cost never delays the send
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(due, request)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    cpu_ended = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_ended.ru_utime - cpu_began.ru_utime) + (cpu_ended.ru_stime - cpu_began.ru_stime)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")

    errors = failures + sum(count for code, count in statuses.items() if code >= 300)
    return {
        "sent": len(tasks),
        "rate": len(tasks) / elapsed,
        "errors": errors,
        "statuses": statuses,
        "p50": pct(0.5),
        "p99": pct(0.99),
        "p999": pct(0.999),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "client_cpu": cpu / elapsed,
    }
