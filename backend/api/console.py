"""The committee web console: static files from admin_ui/ under /admin, with a strict Content-Security-Policy."""

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory
from werkzeug.security import safe_join

UI_DIR = Path(__file__).resolve().parents[2] / "admin_ui"

# ES modules are refused by browsers unless served with a JavaScript type; the platform's mimetypes table
# varies (some say application/x-javascript), so the console's own types are fixed here.
MIME_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

# Everything from this origin only: no inline scripts or styles, no eval, no framing. Images may be blob: URLs
# because the console fetches QR codes with the bearer token and shows them as object URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

blp = Blueprint("admin_console", __name__, url_prefix="/admin")


@blp.get("", strict_slashes=False)
@blp.get("/<path:path>")
def serve(path: str = "index.html") -> Response:
    """A file of the console; a path without an extension is a page of the app, so it gets index.html."""
    relative = path if safe_join(str(UI_DIR), path) and (UI_DIR / path).is_file() else None
    if relative is None:
        if Path(path).suffix:
            abort(404)
        relative = "index.html"
    suffix = Path(relative).suffix
    if suffix not in MIME_TYPES:
        abort(404)
    response = send_from_directory(UI_DIR, relative, mimetype=MIME_TYPES[suffix], max_age=0)
    response.cache_control.no_cache = True  # revalidate by ETag: a new release is seen at once
    if suffix in {".html", ".js", ".css"}:
        response.mimetype_params["charset"] = "utf-8"
    return response


@blp.after_request
def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
