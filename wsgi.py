"""gunicorn entry point: `gunicorn wsgi:app`."""

from werkzeug.middleware.proxy_fix import ProxyFix

from backend import create_app

app = create_app()
# Behind one nginx: trust its X-Forwarded-For / -Proto, so rate limits see the villager's address.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
