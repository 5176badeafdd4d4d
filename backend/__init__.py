"""Application factory: a table of contents."""

from flask import Flask, request

from backend import admin_console, cli, errors, observability
from backend import extensions as ext
from backend.config import check_production_safety, load_config


def create_app(overrides: dict | None = None) -> Flask:
    config = load_config()
    app = Flask(__name__, instance_path=config["INSTANCE_DIR"])
    app.config.update(config)
    app.config.update(overrides or {})
    check_production_safety(app.config)

    observability.configure_logging(app.config["LOG_LEVEL"])
    register_extensions(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    observability.register_request_logging(app)
    observability.register_metrics(app)
    cli.register_commands(app)
    return app


def select_locale() -> str:
    """Simplified Chinese unless the client prefers English."""
    return "en" if request.accept_languages.best_match(["zh_CN", "zh", "en"]) == "en" else "zh_CN"


def register_extensions(app: Flask) -> None:
    # Submodules are imported as names: `backend.api` (the package) must not shadow `ext.api` (the extension).
    from backend import auth_hooks, database, models  # noqa: F401 - importing models registers the tables

    ext.db.init_app(app)
    with app.app_context():
        if ext.db.engine.dialect.name == "sqlite":
            database.configure_sqlite(ext.db.engine)
    ext.migrate.init_app(app, ext.db, directory=str(app.root_path + "/../migrations"))
    ext.jwt.init_app(app)
    auth_hooks.register_jwt_callbacks(ext.jwt)
    ext.babel.init_app(app, locale_selector=select_locale)
    ext.limiter.init_app(app)
    ext.api.init_app(app)
    ext.api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def register_blueprints(app: Flask) -> None:
    from backend.api import blueprints, health

    app.register_blueprint(health.blp)
    app.register_blueprint(admin_console.blp)
    for blueprint in blueprints():
        ext.api.register_blueprint(blueprint)
