"""Events: the rotating QR code, check-in refusals (time, code, place, full, twice), and attendance points."""

import io
from datetime import timedelta

import zxingcpp
from PIL import Image
from sqlalchemy import select

from backend.extensions import db
from backend.models import EventCheckIn, PointAward
from backend.services.earning.events import current_code, distance_m
from tests.conftest import body
from tests.factories import auth, make_villager
from tests.factories.activities import make_event
from tests.factories.clock import START

VENUE = (29.8683, 121.5440, 200)  # lat, lng, radius in metres


def _event(world, **kwargs):
    return make_event(world.village, starts_at=START - timedelta(minutes=10), **kwargs)


def _check_in(client, user, event, token=None, **location):
    token = token if token is not None else current_code(event)["token"]
    return client.post(f"/api/v1/events/{event.id}/check-ins", json={"token": token, **location}, headers=auth(user))


def test_villager_checks_in_with_the_scanned_code_and_earns_points(client, world):
    event = _event(world, kind="patrol")
    qr = body(client.get(f"/api/v1/events/{event.id}/qr", headers=auth(world.cw1)))
    response = _check_in(client, world.user, event, token=qr["qr_text"])
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["points"] == 5
    award = db.session.execute(select(PointAward)).scalar_one()
    assert (award.rule_code, award.source_type, award.earned_on.isoformat()) == ("P04", "event_check_in", "2026-03-10")


def test_qr_png_encodes_the_current_code(client, world, frozen):
    event = _event(world)
    response = client.get(f"/api/v1/events/{event.id}/qr.png", headers=auth(world.cw1))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.get_data())))
    assert [code.text for code in decoded] == [current_code(event)["qr_text"]]
    qr = body(client.get(f"/api/v1/events/{event.id}/qr", headers=auth(world.cw1)))
    assert qr["qr_text"] == f"vcp:event:{event.id}:{qr['token']}" and 1 <= qr["seconds_left"] <= 30


def test_code_rotates_every_30_seconds(app, world, frozen):
    event = _event(world)
    first = current_code(event)
    frozen.advance(seconds=first["seconds_left"])
    second = current_code(event)
    assert second["token"] != first["token"] and second["seconds_left"] == 30


def test_code_of_the_previous_window_is_accepted(client, world, frozen):
    event = _event(world)
    code = current_code(event)
    frozen.advance(seconds=code["seconds_left"] + 29)  # the screen has moved on once
    assert _check_in(client, world.user, event, token=code["token"]).status_code == 201


def test_stale_code_is_refused(client, world, frozen):
    event = _event(world)
    code = current_code(event)
    frozen.advance(seconds=code["seconds_left"] + 30)  # two rotations later
    response = _check_in(client, world.user, event, token=code["token"])
    assert response.status_code == 410
    assert body(response) == {
        "code": 410,
        "status": "qr_code_stale",
        "message": "二维码已过期，请扫描现场屏幕上最新的二维码。",
        "errors": {},
    }


def test_code_of_another_event_is_refused(client, world):
    event, other = _event(world), _event(world)
    response = _check_in(client, world.user, event, token=current_code(other)["qr_text"])
    assert response.status_code == 422
    assert (body(response)["status"], body(response)["message"]) == ("qr_code_invalid", "这不是本活动的签到二维码。")
    forged = _check_in(client, world.user, event, token="0123456789abcdef")
    assert body(forged)["status"] == "qr_code_invalid"


def test_check_in_before_the_window_opens_is_refused(client, world):
    event = make_event(world.village, starts_at=START + timedelta(hours=1))
    response = _check_in(client, world.user, event)
    assert response.status_code == 409
    assert body(response)["status"] == "check_in_not_open"
    assert body(response)["message"] == "签到尚未开始，活动开始前 30 分钟（2026-03-10 10:30）起可签到。"


def test_check_in_opens_30_minutes_early(client, world):
    event = make_event(world.village, starts_at=START + timedelta(minutes=30))
    assert _check_in(client, world.user, event).status_code == 201


def test_check_in_after_the_event_ended_is_refused(client, world):
    event = make_event(world.village, starts_at=START - timedelta(hours=3), hours=2)
    response = _check_in(client, world.user, event)
    assert response.status_code == 409
    assert body(response)["status"] == "check_in_closed"
    assert body(response)["message"] == "活动已于 2026-03-10 09:00 结束，签到已关闭。"


def test_check_in_outside_the_geofence_is_refused(client, world):
    event = _event(world, geofence=VENUE)
    response = _check_in(client, world.user, event, latitude=29.8783, longitude=121.5440)  # 0.01° north
    assert response.status_code == 403
    assert body(response)["status"] == "outside_geofence"
    assert body(response)["message"] == "您距活动地点约 1112 米，须在 200 米内才能签到。"
    inside = _check_in(client, world.user, event, latitude=29.8693, longitude=121.5440)  # 111 m
    assert inside.status_code == 201


def test_geofenced_event_needs_a_location(client, world):
    response = _check_in(client, world.user, _event(world, geofence=VENUE))
    assert response.status_code == 422
    assert body(response)["status"] == "location_required"
    assert body(response)["errors"] == {"latitude": ["需要定位"], "longitude": ["需要定位"]}


def test_haversine_distance_matches_a_known_one():
    # One degree of latitude on the mean-radius sphere is 111.195 km; a degree of longitude at 60° half that.
    assert round(distance_m(30.0, 121.0, 31.0, 121.0)) == 111195
    assert round(distance_m(60.0, 10.0, 60.0, 11.0)) == 55597


def test_second_check_in_is_refused(client, world):
    event = _event(world)
    _check_in(client, world.user, event)
    response = _check_in(client, world.user, event)
    assert response.status_code == 409
    assert body(response) == {
        "code": 409,
        "status": "already_checked_in",
        "message": "您已签到过本活动，无需重复签到。",
        "errors": {},
    }


def test_full_event_refuses_the_next_villager(client, world):
    event = _event(world, capacity=1)
    _check_in(client, world.user, event)
    response = _check_in(client, world.spouse_user, event)
    assert response.status_code == 409
    assert (body(response)["status"], body(response)["message"]) == ("event_full", "活动名额（1 人）已满。")


def test_points_wait_for_the_committee_when_the_event_awards_on_confirmation(client, world):
    event = _event(world, kind="volunteer", hours=5, award_at="confirmation")
    checked = body(_check_in(client, world.user, event))
    assert (checked["points"], checked["explanation"]) == (0, "签到成功，村委会确认出勤后发放积分")
    _check_in(client, world.spouse_user, event)
    confirmed = client.post(
        f"/api/v1/events/{event.id}/attendance/confirm",
        json={"villager_ids": [world.villager.id]},
        headers=auth(world.cw1),
    )
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert body(confirmed) == [{"villager_id": world.villager.id, "points": 4, "explanation": None}]  # 2 per full 2 h
    again = client.post(
        f"/api/v1/events/{event.id}/attendance/confirm",
        json={"villager_ids": [world.villager.id]},
        headers=auth(world.cw1),
    )
    assert body(again)[0]["points"] == 4
    awards = db.session.execute(select(PointAward)).scalars().all()
    assert [(a.villager_id, a.amount) for a in awards] == [(world.villager.id, 4)]
    rows = db.session.execute(select(EventCheckIn).order_by(EventCheckIn.id)).scalars().all()
    assert [row.confirmed_at is not None for row in rows] == [True, False]


def test_only_checked_in_villagers_can_be_confirmed(client, world):
    event = _event(world, award_at="confirmation")
    stranger = make_villager(world.village, name="钱七")
    response = client.post(
        f"/api/v1/events/{event.id}/attendance/confirm", json={"villager_ids": [stranger.id]}, headers=auth(world.cw1)
    )
    assert response.status_code == 422
    assert body(response)["status"] == "not_checked_in"
    assert body(response)["errors"] == {"villager_ids": [f"村民 {stranger.id} 未签到本活动"]}


def test_checkin_points_stop_at_the_monthly_cap(client, world):
    earned = [body(_check_in(client, world.user, _event(world, kind="volunteer", hours=8)))["points"] for _ in range(3)]
    assert earned == [8, 8, 4]  # 志愿服务 is capped at 20 a month


def test_event_kind_without_a_rule_earns_nothing_and_says_why(client, world):
    response = body(_check_in(client, world.user, _event(world, kind="meeting")))
    assert (response["points"], response["explanation"]) == (0, "本村积分规则中没有适用于此项活动的条目，本次不加分")


def test_committee_creates_an_event_with_a_geofence(client, world):
    payload = {
        "village_id": world.village.id,
        "title": "河道清理",
        "kind": "volunteer",
        "place": "村东河道",
        "starts_at": "2026-03-14T08:00:00+08:00",
        "ends_at": "2026-03-14T11:00:00+08:00",
        "hours": 3,
        "latitude": VENUE[0],
        "longitude": VENUE[1],
        "radius_m": 300,
        "capacity": 30,
        "award_at": "confirmation",
    }
    created = client.post("/api/v1/events", json=payload, headers=auth(world.cw1))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert body(created)["starts_at"] == "2026-03-14T00:00:00" and "qr_secret" not in body(created)
    half_fence = {**payload, "radius_m": None}
    refused = client.post("/api/v1/events", json=half_fence, headers=auth(world.cw1))
    assert refused.status_code == 422
    assert body(refused)["errors"] == {"radius_m": ["定位签到须同时填写纬度、经度和半径"]}


def test_villagers_cannot_see_the_qr_code(client, world):
    response = client.get(f"/api/v1/events/{_event(world).id}/qr", headers=auth(world.user))
    assert response.status_code == 403


def test_events_of_another_village_are_not_found(client, world):
    theirs = make_event(world.other_village, starts_at=START)
    response = _check_in(client, world.user, theirs)
    assert response.status_code == 404
    assert client.get(f"/api/v1/events/{theirs.id}/qr.png", headers=auth(world.cw1)).status_code == 404
    confirm = client.post(
        f"/api/v1/events/{theirs.id}/attendance/confirm", json={"villager_ids": [1]}, headers=auth(world.cw1)
    )
    assert confirm.status_code == 404
    listed = body(client.get("/api/v1/events", headers=auth(world.user)))
    assert theirs.id not in [item["id"] for item in listed["items"]]


def test_refusal_speaks_english_when_asked(client, world):
    event = make_event(world.village, starts_at=START - timedelta(hours=3), hours=2)
    headers = {**auth(world.user), "Accept-Language": "en"}
    token = current_code(event)["token"]
    response = client.post(f"/api/v1/events/{event.id}/check-ins", json={"token": token}, headers=headers)
    assert body(response)["message"] == "The event ended at 2026-03-10 09:00; check-in is closed."


def test_a_retried_check_in_with_its_key_gets_the_first_answer(client, world):
    event = _event(world, kind="patrol")
    headers = {**auth(world.user), "Idempotency-Key": "scan-1"}
    url, payload = f"/api/v1/events/{event.id}/check-ins", {"token": current_code(event)["token"]}
    first = client.post(url, json=payload, headers=headers)
    again = client.post(url, json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert body(again) == body(first) and again.headers["Idempotent-Replayed"] == "true"
    assert body(_check_in(client, world.user, event))["status"] == "already_checked_in"
