"""The one error body, request ids in JSON logs, metrics, health, docs and production safety."""

import json
import re

import pytest

from backend import create_app
from backend.config import DEV_SECRET
from tests.conftest import body, captured
from tests.factories import auth, make_villager_user


def test_unknown_path_gets_the_one_error_body(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert body(response) == {"code": 404, "status": "not_found", "message": "未找到。", "errors": {}}


def test_error_message_is_english_when_asked(client):
    response = client.get("/api/v1/nowhere", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert body(response)["message"] == "Not found."


def test_wrong_method_gets_the_one_error_body(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert body(response)["status"] == "method_not_allowed"


def test_malformed_json_is_a_clear_4xx(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert set(body(response)) == {"code", "status", "message", "errors"}


def test_unexpected_failure_is_500_without_a_stack_trace(app):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": False})

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret internals /work/main/backend")

    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    data = body(response)
    assert data["status"] == "internal_error"
    assert "Traceback" not in response.get_data(as_text=True)
    assert "secret internals" not in response.get_data(as_text=True)


def test_every_response_carries_a_request_id_that_appears_in_the_json_log(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    lines = [json.loads(line) for line in captured.lines if line.startswith("{")]
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert request_lines[-1]["request_id"] == "abc-123"
    assert request_lines[-1]["path"] == "/healthz"


def test_a_hostile_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert response.headers["X-Request-ID"] != "x" * 500


def test_logs_never_carry_tokens_or_query_strings(client):
    user = make_villager_user()
    headers = auth(user)
    client.get("/api/v1/me", headers=headers, query_string={"token": "123456789012345678"})
    text = "\n".join(captured.lines)
    assert headers["Authorization"].split()[1] not in text
    assert "123456789012345678" not in text


def test_log_redaction_masks_numbers_in_free_text():
    from backend.observability import redact_text

    assert redact_text("id 330282198005170011 tel 13812345678") == "id 330282********0011 tel 138****5678"


def test_metrics_are_exposed_for_prometheus(client):
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert "flask_http_request_total" in text


def test_healthz_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_healthz_answers_503_when_the_database_is_gone(tmp_path):
    """A load balancer takes the server out of rotation: the database cannot be reached."""
    gone = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no-such-dir/village.db", "TESTING": True})
    response = gone.test_client().get("/healthz")
    assert response.status_code == 503
    assert body(response)["status"] == "unavailable"


def test_openapi_document_lists_every_api_endpoint_with_schemas(app, client):
    spec = body(client.get("/api/v1/openapi.json"))
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not documented"
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "requestBody" in login
    assert "422" in login["responses"]
    assert "default" in login["responses"]  # the error schema


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": DEV_SECRET},
        {
            "SECRET_KEY": "short",
            "JWT_SECRET_KEY": "j" * 40,
            "DATA_ENCRYPTION_KEY": "k" * 44,
            "BLIND_INDEX_KEY": "b" * 44,
        },
    ],
)
def test_production_refuses_default_or_weak_secrets(overrides):
    with pytest.raises(RuntimeError, match="refusing to start in production"):
        create_app({"APP_ENV": "production", "DEMO_MODE": False, **overrides})


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"PUBLIC_BASE_URL": "", "WECHAT_CALLBACK_TOKEN": "t" * 32}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://village.example.cn", "WECHAT_CALLBACK_TOKEN": "t" * 32}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://village.example.cn", "WECHAT_CALLBACK_TOKEN": ""}, "WECHAT_CALLBACK_TOKEN"),
    ],
)
def test_production_with_wechat_needs_its_public_url_and_callback_token(overrides, named):
    strong = dict.fromkeys(
        ("SECRET_KEY", "JWT_SECRET_KEY", "DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY", "REPORT_SIGNING_KEY"), "x" * 44
    )
    wechat = {"WECHAT_APP_ID": "wx0123456789abcdef", "WECHAT_APP_SECRET": "s" * 32}
    with pytest.raises(RuntimeError, match=named):
        create_app({"APP_ENV": "production", "DEMO_MODE": False, **strong, **wechat, **overrides})


def test_production_refuses_demo_mode():
    strong = dict.fromkeys(
        ("SECRET_KEY", "JWT_SECRET_KEY", "DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY", "REPORT_SIGNING_KEY"), "x" * 44
    )
    with pytest.raises(RuntimeError, match="DEMO_MODE"):
        create_app({"APP_ENV": "production", "DEMO_MODE": True, **strong})


def test_production_refuses_to_sign_reports_with_a_development_key():
    strong = dict.fromkeys(("SECRET_KEY", "JWT_SECRET_KEY", "DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY"), "x" * 44)
    with pytest.raises(RuntimeError, match="REPORT_SIGNING_KEY"):
        create_app({"APP_ENV": "production", "DEMO_MODE": False, **strong})
