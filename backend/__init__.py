"""Application factory: a table of contents."""

from flask import Flask, request

from backend import commands, observability
from backend.config import check_production_safety, load_config
from backend.settings import install_settings


def create_app(overrides: dict | None = None) -> Flask:
    config = load_config()
    app = Flask(__name__, instance_path=config["INSTANCE_DIR"])
    app.config.update(config)
    app.config.update(overrides or {})
    check_production_safety(app.config)
    install_settings(app)

    observability.configure_logging(app.config["LOG_LEVEL"])
    register_extensions(app)
    register_http(app)
    register_errors(app)
    observability.register_request_logging(app)
    observability.register_metrics(app)
    commands.register_commands(app)
    return app


def select_locale() -> str:
    """Simplified Chinese unless the client prefers English."""
    return "en" if request.accept_languages.best_match(["zh_CN", "zh", "en"]) == "en" else "zh_CN"


def register_extensions(app: Flask) -> None:
    from backend import database, models  # noqa: F401 - importing models registers the tables
    from backend.extensions import babel, db, migrate
    from backend.services.credit.state import track_credit_entries
    from backend.services.notifications.token_store import DatabaseTokenStore

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            database.configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    babel.init_app(app, locale_selector=select_locale)
    track_credit_entries()  # every change of a credit entry refreshes its villager's kept credit state
    app.extensions["wechat_token_store"] = DatabaseTokenStore()


def register_errors(app: Flask) -> None:
    from backend.api.errors import register_error_handlers

    register_error_handlers(app)


def register_http(app: Flask) -> None:
    from backend.api import init_http

    init_http(app)
