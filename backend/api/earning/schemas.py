"""Input and output schemas of earning points: polls, lessons, events and check-ins, uploads, claims and review."""

from datetime import UTC

from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from backend.api.common import InSchema, OutSchema, PageArgs
from backend.models.submissions import SUBMISSION_STATUSES, SUBMISSION_TYPES
from backend.services.earning import uploads


class UtcDateTime(fields.DateTime):
    """ISO date-time; one with an offset is converted to naive UTC, one without is taken as UTC (as stored)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class ListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


class PollIn(InSchema):
    village_id = fields.Integer(required=True)
    question = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default=None)
    mode = fields.String(required=True, validate=validate.OneOf(["adult", "household"]))
    options = fields.List(
        fields.String(validate=validate.Length(max=100)), required=True, validate=validate.Length(min=2, max=20)
    )
    opens_at = UtcDateTime(required=True)
    closes_at = UtcDateTime(required=True)
    quorum_percent = fields.Integer(load_default=50, validate=validate.Range(min=0, max=100))


class PollOptionOut(OutSchema):
    id = fields.Integer()
    label = fields.String()


class PollOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    question = fields.String()
    description = fields.String(allow_none=True)
    mode = fields.String()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    quorum_percent = fields.Integer()
    options = fields.List(fields.Nested(PollOptionOut))


class VoteIn(InSchema):
    option_id = fields.Integer(required=True)


class VoteOut(OutSchema):
    poll_id = fields.Integer()
    option_id = fields.Integer()
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


class ResultOptionOut(OutSchema):
    id = fields.Integer()
    label = fields.String()
    votes = fields.Integer(allow_none=True)


class PollResultsOut(OutSchema):
    poll_id = fields.Integer()
    closed = fields.Boolean()
    mode = fields.String()
    eligible = fields.Integer()
    ballots = fields.Integer()
    turnout_percent = fields.Float()
    quorum_percent = fields.Integer()
    quorum_met = fields.Boolean()
    options = fields.List(fields.Nested(ResultOptionOut))


class QuestionIn(InSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), required=True, validate=validate.Length(min=2, max=8)
    )
    answer = fields.Integer(required=True, metadata={"description": "index of the correct option, from 0"})


class LessonIn(InSchema):
    village_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(required=True, validate=validate.Length(min=1))
    questions = fields.List(fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=20))
    pass_mark = fields.Integer(load_default=None, metadata={"description": "correct answers needed; default all"})


class QuestionOut(OutSchema):
    text = fields.String()
    options = fields.List(fields.String())


class StaffQuestionOut(QuestionOut):
    answer = fields.Integer()


class LessonOut(OutSchema):
    """What a villager sees: the quiz without its answers."""

    id = fields.Integer()
    village_id = fields.Integer()
    title = fields.String()
    content = fields.String()
    pass_mark = fields.Integer()
    questions = fields.List(fields.Nested(QuestionOut))


class StaffLessonOut(LessonOut):
    questions = fields.List(fields.Nested(StaffQuestionOut))


class CompletionIn(InSchema):
    answers = fields.List(fields.Integer(), required=True, metadata={"description": "chosen option per question"})


class CompletionOut(OutSchema):
    passed = fields.Boolean()
    correct = fields.Integer()
    total = fields.Integer()
    pass_mark = fields.Integer()
    wrong_questions = fields.List(fields.Integer(), metadata={"description": "question numbers, from 1"})
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


class EventIn(InSchema):
    village_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.Length(min=1, max=32), metadata={"description": "rules test it as event.kind"}
    )
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=24))
    latitude = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))
    radius_m = fields.Integer(load_default=None, validate=validate.Range(min=10, max=10000))
    capacity = fields.Integer(load_default=None, validate=validate.Range(min=1))
    award_at = fields.String(load_default="check_in", validate=validate.OneOf(["check_in", "confirmation"]))


class EventOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    place = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    hours = fields.Float()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    radius_m = fields.Integer(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    award_at = fields.String()


class QrOut(OutSchema):
    token = fields.String()
    qr_text = fields.String()
    seconds_left = fields.Integer()


class CheckInIn(InSchema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the scanned QR text, or its last part"},
    )
    latitude = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))


class CheckInResultOut(OutSchema):
    check_in_id = fields.Integer()
    event_id = fields.Integer()
    award_at = fields.String()
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


class CheckInOut(OutSchema):
    id = fields.Integer()
    villager_id = fields.Integer()
    checked_in_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)


class ConfirmIn(InSchema):
    villager_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=500))


class ConfirmedOut(OutSchema):
    villager_id = fields.Integer()
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


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
