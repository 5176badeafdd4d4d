"""OAuth 2.0 for institutions (Authlib): the client-credentials token endpoint, bearer tokens on partner endpoints,
per-institution rate limits, and the public key set at /.well-known/jwks.json.

Staff and villager JWTs are never accepted on partner endpoints, nor partner tokens anywhere else: the two kinds
of token live in different stores and are read by different decorators.
"""

import secrets
from functools import wraps

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from flask import Blueprint as FlaskBlueprint
from flask import current_app, json
from flask_babel import gettext
from flask_smorest import Blueprint
from limits import parse
from werkzeug.exceptions import abort

from backend.api.errors import error_body
from backend.api.ratelimit import limiter
from backend.errors import TooManyRequests
from backend.models.partners import PARTNER_SCOPES
from backend.services.partners import institutions
from backend.services.signing import published_key_set
from backend.settings import current_settings

blp = Blueprint("oauth", __name__, url_prefix="/api/v1", description="机构（银行）接入：OAuth 2.0 客户端凭证")
well_known = FlaskBlueprint("well_known", __name__)

# RFC 6749 error codes, said in words a bank's developer (or our own console) can act on.
OAUTH_MESSAGES = {
    "invalid_client": "机构身份验证失败（client_id 或 client_secret 有误，或机构已停用）。",
    "invalid_scope": "申请的权限范围未授予本机构。",
    "unsupported_grant_type": "只支持 client_credentials 授权方式。",
    "unauthorized_client": "本机构不能使用该授权方式。",
    "invalid_request": "令牌请求有误。",
    "invalid_token": "访问令牌无效、已过期或已撤销。",
    "missing_authorization": "缺少访问令牌（Authorization: Bearer ...）。",
    "insecure_transport": "令牌接口只接受 HTTPS。",
}


class PartnerRateLimited(TooManyRequests):
    status, message = "partner_rate_limited", "本机构查询过于频繁，请稍后再试。"


def _oauth_error_response(status_code: int, payload: dict, headers):
    """Authlib's RFC 6749 error as the project's one body, keeping `error`/`error_description` for OAuth clients."""
    error = payload.get("error", "invalid_request")
    message = gettext(OAUTH_MESSAGES.get(error, OAUTH_MESSAGES["invalid_request"]))
    body = {**error_body(status_code, error, message), "error": error}
    if payload.get("error_description"):
        body["error_description"] = payload["error_description"]
    response = current_app.response_class(json.dumps(body), status=status_code, mimetype="application/json")
    for name, value in headers or []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


class PartnerAuthorizationServer(AuthorizationServer):
    def handle_response(self, status_code, payload, headers):
        if status_code >= 400 and isinstance(payload, dict):
            return _oauth_error_response(status_code, payload, headers)
        return super().handle_response(status_code, payload, headers)


class PartnerTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return institutions.find_partner_token(token_string)


class PartnerResourceProtector(ResourceProtector):
    def raise_error_response(self, error):
        # A response given to abort() has no status code of its own, so the app's error handler passes it through.
        abort(_oauth_error_response(error.status_code, dict(error.get_body()), error.get_headers()))


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # Banks' HTTP clients send credentials either way (RFC 6749 §2.3.1); Authlib's default is Basic only.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


# One server and one protector per process: what they know (grants, scopes, how tokens look) is not per app.
authorization = PartnerAuthorizationServer(
    query_client=institutions.find_oauth_client,
    save_token=lambda token, request: institutions.save_partner_token(token, request.client),
)
authorization.register_grant(ClientCredentialsGrant)
require_token = PartnerResourceProtector()
require_token.register_token_validator(PartnerTokenValidator())


def init_oauth(app) -> None:
    """Bind Authlib's server to the app: client credentials only, our scopes, tokens living PARTNER_TOKEN_MINUTES."""
    authorization.init_app(app)
    authorization.scopes_supported = list(PARTNER_SCOPES)
    authorization.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=lambda **_: secrets.token_urlsafe(32),
            expires_generator=lambda client, grant_type: institutions.token_lifetime_seconds(),
        ),
    )


def partner_signed_in(view):
    """Require an institution's bearer token and pass its grant in; count the request against its rate limit."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            grant = require_token.acquire_token()
        except OAuth2Error as error:
            require_token.raise_error_response(error)
        rate = grant.institution.rate_limit or current_settings().partner_rate_limit
        if not limiter.limiter.hit(parse(rate), "partner", grant.institution.client_id):
            raise PartnerRateLimited()
        return view(*args, grant=grant, **kwargs)

    return wrapper


@blp.post("/oauth/token")
@blp.doc(
    requestBody={
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "example": "credit_report consents"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        }
    },
    responses={"200": {"description": "`{access_token, token_type, expires_in, scope}`"}},
)
def issue_token():
    """Client credentials (RFC 6749 §4.4): HTTP Basic or form-posted client_id/client_secret; errors carry
    both the project's body and RFC 6749's `error`."""
    return authorization.create_token_response()


@well_known.get("/.well-known/jwks.json")
def jwks():
    """The public keys that sign credit reports (JWS, Ed25519), current first; verifiers may cache them."""
    response = current_app.response_class(json.dumps(published_key_set()), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
