"""Speak and photo: uploads, claims, the committee's review, the villager's list, and WeChat's media callback."""

from flask import Response, request, send_file
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema, PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.models import Villager
from backend.models.submissions import SUBMISSION_STATUSES, SUBMISSION_TYPES, Submission
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


class FileIn(InSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class FileField(fields.Raw):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("照片须以 multipart 文件上传。")
        return value


class UploadOut(OutSchema):
    file_id = fields.Integer(attribute="id")
    kind = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    url = fields.Method("_url")
    thumbnail_url = fields.Method("_thumbnail_url")

    def _url(self, upload):
        return uploads.media_urls(upload)["url"]

    def _thumbnail_url(self, upload):
        return uploads.media_urls(upload)["thumbnail_url"]


class SubmissionIn(InSchema):
    """JSON, or multipart form fields with one `photo` file."""

    activity_type = fields.String(load_default=None, validate=validate.OneOf(SUBMISSION_TYPES))
    activity_type_id = fields.String(load_default=None, metadata={"description": "GET /activity-types 中的编码"})
    text = fields.String(load_default=None, validate=validate.Length(max=2000))
    file_ids = fields.List(fields.Integer(), load_default=list)


class ClaimIn(SubmissionIn):
    photo = FileField(load_default=None, metadata={"type": "string", "format": "binary"})


class MySubmissionOut(OutSchema):
    id = fields.Integer()
    activity_type = fields.String()
    text = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    points_awarded = fields.Integer(allow_none=True)
    award_message = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    appealed = fields.Boolean()
    assisted = fields.Boolean()
    files = fields.List(fields.Nested(UploadOut))


class ReviewSubmissionOut(MySubmissionOut):
    village_id = fields.Integer()
    villager_id = fields.Integer()
    villager_name = fields.String(attribute="villager.name")
    entered_by_id = fields.Integer()
    security_status = fields.String()
    hold_reason = fields.String(allow_none=True)
    flagged = fields.Boolean()
    duplicate_of_id = fields.Integer(allow_none=True)
    duplicate_of_url = fields.Method("_duplicate_url")
    duplicate_distance = fields.Integer(allow_none=True)
    first_approver_id = fields.Integer(allow_none=True)
    proposed_points = fields.Integer(allow_none=True)
    first_approval_note = fields.String(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)
    review_note = fields.String(allow_none=True)
    appeal_reason = fields.String(allow_none=True)
    rule_code = fields.String(allow_none=True)
    rule_version = fields.Integer(allow_none=True)

    def _duplicate_url(self, submission):
        return f"/api/v1/submissions/{submission.duplicate_of_id}" if submission.duplicate_of_id else None


class ReviewListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(SUBMISSION_STATUSES))
    activity_type = fields.String(load_default=None, validate=validate.OneOf(SUBMISSION_TYPES))
    flagged = fields.Boolean(load_default=None)


class MyListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(SUBMISSION_STATUSES))


class ApproveIn(InSchema):
    amount = fields.Integer(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class ReasonIn(InSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MediaArgs(InSchema):
    expires = fields.Integer(required=True)
    signature = fields.String(required=True)


class CallbackArgs(InSchema):
    signature = fields.String(load_default="")
    timestamp = fields.String(load_default="")
    nonce = fields.String(load_default="")
    echostr = fields.String(load_default=None)
    openid = fields.String(load_default=None)
    encrypt_type = fields.String(load_default=None)
    msg_signature = fields.String(load_default=None)


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
