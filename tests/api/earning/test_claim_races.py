"""Races a real village produces: two members approving at once, one file sent twice at once."""

import threading

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import PointAward
from backend.models.submissions import Upload
from tests.factories import auth, keyed
from tests.factories.submissions import make_photo

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

THREADS = 6


def race(app, request_once) -> list[int]:
    """Run `request_once(client)` in THREADS threads released together; return the status codes."""
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def run():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            codes.append(request_once(client).status_code)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(codes)


def test_simultaneous_approvals_book_points_once(app, v):
    claim = v.submit_photo(make_photo())
    headers = [auth(v.cw1), auth(v.cw2)]
    url = f"/api/v1/submissions/{claim['id']}/approve"
    turn = iter(range(THREADS))

    codes = race(app, lambda client: client.post(url, json={"amount": 5}, headers=headers[next(turn) % 2]))

    assert codes == [200] + [409] * (THREADS - 1)
    db.session.remove()
    booked = db.session.execute(select(func.count(PointAward.id)).where(PointAward.source_id == claim["id"])).scalar()
    assert booked == 1


def test_one_file_sent_in_two_claims_at_once_lands_in_one(app, v):
    file_id = v.file_id(make_photo())
    payload = {"activity_type": "photo", "file_ids": [file_id]}

    codes = race(app, lambda client: client.post("/api/v1/submissions", json=payload, headers=keyed(v.headers)))

    assert codes == [201] + [409] * (THREADS - 1)
    db.session.remove()
    assert db.session.get(Upload, file_id).submission_id is not None
