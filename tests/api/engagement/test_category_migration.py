"""Migration 0015_engagement gives rules and awards stored before categories the category of their activity."""

import json

import flask_migrate
from sqlalchemy import text

from backend import create_app
from backend.extensions import db
from backend.rules import load_demo_rule_set, validate_rule_set
from tests.api.test_migrations import empty_database_url  # noqa: F401 - the fixture

OLD_CATEGORY = "积分"


def test_stored_demo_rules_and_their_awards_get_categories(empty_database_url):  # noqa: F811
    document = load_demo_rule_set("points_qt")
    for key in ("categories", "stars", "badges"):
        document.pop(key)
    for rule in document["rules"]:
        rule["category"] = OLD_CATEGORY
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade(revision="0014_webhooks")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO towns (id, code, name, created_at, updated_at) VALUES (1, 'QT', '桥头镇', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO villages (id, town_id, code, name, created_at, updated_at) VALUES "
                    "(1, 1, 'QT01', '东村', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO rule_sets (id, village_id, kind, version, status, document, created_at, updated_at) "
                    "VALUES (1, 1, 'points', 1, 'published', :doc, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"doc": json.dumps(document, ensure_ascii=False)},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT document FROM rule_sets WHERE id = 1")).scalar_one()
        stored = json.loads(stored) if isinstance(stored, str) else stored
        assert {rule["code"]: rule["category"] for rule in stored["rules"]} == {
            "P01": "环境美化",
            "P02": "民主评议",
            "P03": "在线学习",
            "P04": "平安治理",
            "P05": "志愿服务",
            "P06": "建言献策",
        }
        assert validate_rule_set(stored) == {}
        db.engine.dispose()
