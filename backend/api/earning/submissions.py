"""Speak and photo: uploads, claims, the committee's review, the villager's list, and WeChat's media callback."""

from flask import Response, request, send_file
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.earning.schemas import (
    ApproveIn,
    CallbackArgs,
    ClaimIn,
    FileIn,
    MediaArgs,
    MyListArgs,
    MySubmissionOut,
    ReasonIn,
    ReviewListArgs,
    ReviewSubmissionOut,
    SubmissionIn,
    UploadOut,
)
from backend.api.idempotency import idempotent
from backend.models import Villager
from backend.models.submissions import Submission
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.earning import review, submissions, uploads


class _Parser(FlaskParser):
    pass


parser = _Parser()


@parser.location_loader("json_or_multipart")
def _load_json_or_multipart(req, schema):
    """JSON, or (as wx.uploadFile sends it) multipart form fields together with their files."""
    if req.mimetype == "multipart/form-data":
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)
    return parser.load_json(req, schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = parser
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_multipart": "application/json",
    }


blp = _Blueprint("submissions", __name__, url_prefix="/api/v1", description="说一说、拍一拍与审核")


@blp.post("/uploads")
@blp.arguments(FileIn, location="files")
@blp.response(201, UploadOut)
@signed_in("villager", "committee")
def upload_file(files, caller):
    """One photo (JPEG/PNG/WebP, EXIF removed) or voice file (mp3/aac/m4a/silk/amr), as wx.uploadFile sends it."""
    return uploads.store_upload(caller=caller, data=files["file"].read())


@blp.get("/uploads/<int:upload_id>")
@blp.response(200, UploadOut)
@signed_in()
def get_upload(upload_id, caller):
    """A file's details and time-limited links; only its uploader and the village's staff see it."""
    return uploads.get_upload(caller=caller, upload_id=upload_id)


@blp.get("/media/<path:key>")
@blp.arguments(MediaArgs, location="query")
@blp.response(200, content_type="application/octet-stream")
def get_media(args, key):
    """The bytes behind a signed, time-limited link (no sign-in: WeChat's checker fetches these too)."""
    stream, content_type = uploads.open_media(key=key, **args)
    return send_file(stream, mimetype=content_type, max_age=3600)


@blp.post("/submissions")
@idempotent
@blp.arguments(ClaimIn, location="json_or_multipart")
@blp.response(201, MySubmissionOut)
@signed_in("villager")
def create_submission(args, caller, claim):
    """A speak or photo claim: JSON with file_ids from /uploads, or multipart with one `photo` file."""
    photo = args.pop("photo")
    return submissions.create_submission(caller=caller, claim=claim, photo=photo.read() if photo else None, **args)


@blp.post("/villagers/<int:villager_id>/assisted-submissions")
@idempotent
@blp.arguments(SubmissionIn)
@blp.response(201, ReviewSubmissionOut)
@signed_in("committee")
def create_assisted_submission(args, villager_id, caller, claim):
    """Record a claim for a villager without a smartphone; another committee member reviews it."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    return submissions.create_assisted_submission(caller=caller, villager=villager, claim=claim, **args)


@blp.get("/submissions/<int:submission_id>")
@blp.response(200, ReviewSubmissionOut)
@signed_in(*STAFF_ROLES)
def get_submission(submission_id, caller):
    return get_scoped_or_404(Submission, submission_id, caller)


@blp.get("/review/submissions")
@blp.arguments(ReviewListArgs, location="query")
@blp.response(200, page_schema(ReviewSubmissionOut, "ReviewSubmissionPage"))
@signed_in(*STAFF_ROLES)
def review_queue(args, caller):
    """Claims to review, oldest first; filter by status, activity type and duplicate flag."""
    return review.list_review_queue(caller=caller, **args)


@blp.post("/submissions/<int:submission_id>/approve")
@blp.arguments(ApproveIn)
@blp.response(200, ReviewSubmissionOut)
@signed_in("committee")
def approve(args, submission_id, caller):
    """Approve: points from the rule (amount within its range), capped; large awards need a second member."""
    submission = get_scoped_or_404(Submission, submission_id, caller)
    return review.approve_submission(caller=caller, submission=submission, **args)


@blp.post("/submissions/<int:submission_id>/reject")
@blp.arguments(ReasonIn)
@blp.response(200, ReviewSubmissionOut)
@signed_in("committee")
def reject(args, submission_id, caller):
    submission = get_scoped_or_404(Submission, submission_id, caller)
    return review.reject_submission(caller=caller, submission=submission, reason=args["reason"])


@blp.post("/submissions/<int:submission_id>/appeal")
@blp.arguments(ReasonIn)
@blp.response(200, MySubmissionOut)
@signed_in("villager")
def appeal(args, submission_id, caller):
    """Ask once for a rejected claim to be reviewed again."""
    submission = submissions.get_submission(caller=caller, submission_id=submission_id)
    return review.appeal_submission(caller=caller, submission=submission, reason=args["reason"])


@blp.get("/me/submissions")
@blp.arguments(MyListArgs, location="query")
@blp.response(200, page_schema(MySubmissionOut, "MySubmissionPage"))
@signed_in("villager")
def my_submissions(args, caller):
    """The villager's own claims with status, points awarded and reasons."""
    return submissions.list_my_submissions(caller=caller, **args)


@blp.get("/wechat/media-check-callback")
@blp.arguments(CallbackArgs, location="query")
@blp.response(200, content_type="text/plain")
def verify_callback_url(args):
    """WeChat's server-URL handshake: echo `echostr` when the signature is ours."""
    submissions.check_callback_signature(**{k: args[k] for k in ("signature", "timestamp", "nonce")})
    return Response(args["echostr"] or "", mimetype="text/plain")


@blp.post("/wechat/media-check-callback")
@blp.arguments(CallbackArgs, location="query")
@blp.response(200, content_type="text/plain")
def media_check_callback(args):
    """WeChat's push with the verdict of an asynchronous media check (JSON mode); answers "success"."""
    submissions.record_media_verdict(
        payload=request.get_json(silent=True) or {},
        **{k: args[k] for k in ("signature", "timestamp", "nonce")},
    )
    return Response("success", mimetype="text/plain")
