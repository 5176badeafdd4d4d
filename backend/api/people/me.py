"""The villager's own views: profile, binding, and a copy of everything held about them."""

import io

from flask import send_file
from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.people.schemas import (
    BindingIn,
    MeOut,
)
from backend.services.auth.binding import bind_by_code, bind_by_identity
from backend.services.me.export import export_my_data
from backend.services.me.profile import get_profile

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="村民本人")


@blp.get("")
@blp.response(200, MeOut)
@signed_in()
def me(caller):
    """Profile of the signed-in person."""
    return get_profile(caller=caller)


@blp.post("/binding")
@blp.arguments(BindingIn)
@blp.response(200, MeOut)
@signed_in("villager")
def bind(args, caller):
    """Link this WeChat account to a roster entry (locked for a while after repeated failures)."""
    if "binding_code" in args:
        bind_by_code(user_id=caller.user_id, binding_code=args["binding_code"])
    else:
        bind_by_identity(
            user_id=caller.user_id,
            village_code=args["village_code"],
            name=args["name"],
            id_last6=args["id_card_last6"],
        )
    return get_profile(caller=caller)


@blp.get("/export")
@blp.response(200, content_type="application/zip", description="A zip of JSON files, my files and a README")
@signed_in("villager")
def export(caller):
    """Everything held about me (PIPL art. 45): profile, household, bindings, ledger, submissions with their files,
    credit lines and history, notices, consents with every institution's request, and staff reads of my record."""
    content = export_my_data(caller=caller)
    return send_file(io.BytesIO(content), mimetype="application/zip", as_attachment=True, download_name="我的信息.zip")
