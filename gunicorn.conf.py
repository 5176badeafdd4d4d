"""gunicorn settings for `make run` and production; override with GUNICORN_CMD_ARGS or env vars."""

import glob
import os
import shutil
import tempfile

from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
accesslog = None  # the app writes one JSON line per request, with its request id

# Metrics of every worker add up in one directory, which must be empty when the server starts. Each server
# makes its own (another instance on the same machine keeps its metrics) and removes it when it stops; an
# operator who sets PROMETHEUS_MULTIPROC_DIR owns that directory, and it is only emptied of our *.db files.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(metrics_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(stale)
    _own_metrics_dir = False
else:
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="village-metrics-")
    _own_metrics_dir = True


def when_ready(server):
    from backend.demo import DEMO_LOGINS

    if os.environ.get("APP_ENV", "development") != "production":
        server.log.info("Serving on http://%s\n%s", bind, DEMO_LOGINS)


def child_exit(server, worker):
    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
