"""Lessons (在线学习): answers stay on the server, a pass earns points once, a failure names the wrong questions."""

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import LessonAttempt, PointAward
from tests.conftest import body
from tests.factories import auth
from tests.factories.activities import QUIZ, make_lesson

RIGHT = [1, 1, 0]


def _complete(client, user, lesson, answers):
    return client.post(f"/api/v1/lessons/{lesson.id}/completions", json={"answers": answers}, headers=auth(user))


def test_committee_creates_a_lesson_and_villagers_never_see_the_answers(client, world):
    created = client.post(
        "/api/v1/lessons",
        json={"village_id": world.village.id, "title": "消防安全", "content": "……", "questions": QUIZ, "pass_mark": 2},
        headers=auth(world.cw1),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert body(created)["questions"][0]["answer"] == 1
    lesson_id = body(created)["id"]
    shown = body(client.get(f"/api/v1/lessons/{lesson_id}", headers=auth(world.user)))
    listed = body(client.get("/api/v1/lessons", headers=auth(world.user)))
    assert shown["questions"][0] == {"text": QUIZ[0]["text"], "options": QUIZ[0]["options"]}
    assert [set(q) for q in listed["items"][0]["questions"]] == [{"text", "options"}] * 3


def test_passing_the_quiz_earns_points(client, world):
    response = _complete(client, world.user, make_lesson(world.village), RIGHT)
    assert response.status_code == 200
    assert body(response) == {
        "passed": True,
        "correct": 3,
        "total": 3,
        "pass_mark": 2,
        "wrong_questions": [],
        "points": 3,
        "explanation": None,
    }
    award = db.session.execute(select(PointAward)).scalar_one()
    assert (award.activity_type, award.rule_code, award.amount) == ("lesson", "P03", 3)


def test_failing_names_the_wrong_questions_and_allows_a_retry(client, world):
    lesson = make_lesson(world.village, pass_mark=2)
    failed = body(_complete(client, world.user, lesson, [0, 1, 2]))
    assert (failed["passed"], failed["wrong_questions"], failed["points"]) == (False, [1, 3], 0)
    assert failed["explanation"] == "答对 1 题，需答对 2 题才算通过，请复习后再试"
    retry = body(_complete(client, world.user, lesson, [1, 1, 2]))
    assert (retry["passed"], retry["wrong_questions"], retry["points"]) == (True, [3], 3)


def test_second_pass_earns_nothing_more(client, world):
    lesson = make_lesson(world.village)
    _complete(client, world.user, lesson, RIGHT)
    response = _complete(client, world.user, lesson, RIGHT)
    assert response.status_code == 409
    assert body(response) == {
        "code": 409,
        "status": "lesson_already_passed",
        "message": "您已通过本课测验并获得积分，重复学习不再加分。",
        "errors": {},
    }
    assert db.session.execute(select(func.count()).select_from(PointAward)).scalar() == 1


def test_answers_must_cover_every_question(client, world):
    response = _complete(client, world.user, make_lesson(world.village), [1, 1])
    assert response.status_code == 422
    assert body(response)["errors"] == {"answers": ["应回答全部 3 道题"]}
    assert db.session.execute(select(func.count()).select_from(LessonAttempt)).scalar() == 0


def test_lesson_whose_answer_is_not_an_option_is_refused(client, world):
    quiz = [{"text": "?", "options": ["a", "b"], "answer": 2}]
    response = client.post(
        "/api/v1/lessons",
        json={"village_id": world.village.id, "title": "t", "content": "c", "questions": quiz},
        headers=auth(world.cw1),
    )
    assert response.status_code == 422
    assert body(response)["errors"] == {
        "questions": {"0": {"answer": ["第 1 题的正确答案须是其选项之一（从 0 数起）"]}}
    }


def test_lessons_of_another_village_are_not_found(client, world):
    theirs = make_lesson(world.other_village)
    response = _complete(client, world.user, theirs, RIGHT)
    assert response.status_code == 404
    assert body(response)["status"] == "not_found"
    assert client.get(f"/api/v1/lessons/{theirs.id}", headers=auth(world.cw1)).status_code == 404


def test_a_retried_failed_attempt_with_its_key_is_graded_once(client, world):
    from sqlalchemy import func, select

    from backend.extensions import db
    from backend.models import LessonAttempt

    lesson = make_lesson(world.village, pass_mark=3)
    headers = {**auth(world.user), "Idempotency-Key": "quiz-1"}
    url, payload = f"/api/v1/lessons/{lesson.id}/completions", {"answers": [0, 0, 0]}
    first = client.post(url, json=payload, headers=headers)
    again = client.post(url, json=payload, headers=headers)
    assert body(first)["passed"] is False and body(again) == body(first)
    assert db.session.execute(select(func.count(LessonAttempt.id))).scalar() == 1
