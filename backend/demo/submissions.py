"""Demo speak and photo claims: approved, rejected (one appealed), pending, one duplicate photo, one assisted entry.

Runs after the activities part, so that approvals book points under the published rules with their own dates.
"""

import io
import random
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import Submission, User, Village, Villager
from backend.services.access import Caller
from backend.services.earning.review import appeal_submission, approve_submission, reject_submission
from backend.services.earning.submissions import create_assisted_submission, create_submission
from backend.services.earning.uploads import store_upload

CLAIMANTS_PER_VILLAGE = 8
DAYS_BACK = 50
DECIDED_AFTER_DAYS = 5
PHOTO_TEXTS = [
    "门前屋后垃圾已清理干净",
    "村道边的杂草清除了",
    "河埠头的漂浮垃圾捞上来了",
    "发现路边电线杆倾斜，已拍照上报",
    "自家庭院绿化整理完毕",
]
SPEAK_TEXTS = [
    "建议在村口岔路加装一盏路灯，晚上太黑",
    "建议文化礼堂每周开放一次棋牌室",
    "建议垃圾清运改到早上七点前，避开上学时间",
    "建议给独居老人装一键呼叫器",
]
REJECTIONS = ["照片看不清，请重新拍摄", "与本村事务无关", "该问题已有人反映并处理"]


def demo_photo(seed: int) -> bytes:
    """A small made-up 'yard' picture; each seed looks different (and hashes differently)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), (rng.randrange(90, 160), rng.randrange(120, 180), rng.randrange(60, 120)))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(320), rng.randrange(240)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 90)), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def load(*, echo=print) -> None:
    rng = random.Random(20261125)
    today = clock.today()
    staff = {u.username: u for u in db.session.execute(select(User).where(User.role == "committee")).scalars()}
    villages = db.session.execute(select(Village).order_by(Village.code)).scalars().all()
    for village in villages:
        prefix = village.code.lower()
        committee = [staff[name] for name in (f"{prefix}-cw1", f"{prefix}-cw2") if name in staff]
        claimants = db.session.execute(
            select(User)
            .where(User.village_id == village.id, User.role == "villager", User.villager_id.is_not(None))
            .order_by(User.villager_id)
            .limit(CLAIMANTS_PER_VILLAGE)
        ).scalars()
        plan = sorted(
            (today - timedelta(days=rng.randrange(1, DAYS_BACK)), rng.random(), user)
            for user in claimants
            for _ in range(rng.randint(1, 3))
        )
        made = [_claim(rng, user, day, seed=int(roll * 1e9)) for day, roll, user in plan]
        # A villager sends a neighbour's photo again: flagged as a duplicate for the reviewer.
        copier = plan[-1][2]
        first_photo = next((claim for claim in made if claim.activity_type == "photo"), None)
        if first_photo is not None:
            made.append(_claim(rng, copier, today, seed=int(first_photo.id), photo=_photo_of(first_photo)))
        # Every fourth claim is rejected; the village's first rejection is appealed and waits again.
        decided = [
            _decide(rng, claim, committee, today, reject=i % 4 == 3, appeal=i == 3) for i, claim in enumerate(made)
        ]
        # Someone else must review an assisted entry: only where the village has a second committee member.
        assisted = _assisted(village, committee[0]) if len(committee) > 1 else None
        echo(
            f"  {village.name} ({village.code}): {len(made) + 1} claims, {decided.count('approved')} approved, "
            f"{decided.count('rejected')} rejected, {decided.count('pending') + (assisted is not None)} waiting"
        )


def _claim(rng, user: User, day: date, *, seed: int, photo: bytes | None = None) -> Submission:
    caller = Caller.of(user)
    if photo is not None or rng.random() < 0.65:
        photo = photo or demo_photo(seed)
        file_id = store_upload(caller=caller, data=photo).id
        claim = create_submission(
            caller=caller, activity_type="photo", text=rng.choice(PHOTO_TEXTS), file_ids=[file_id]
        )
    else:
        claim = create_submission(caller=caller, activity_type="speak", text=rng.choice(SPEAK_TEXTS))
    _backdate(claim.id, datetime.combine(day, time(1 + rng.randrange(10))))
    return db.session.get(Submission, claim.id)


def _photo_of(claim: Submission) -> bytes:
    from backend.adapters.storage import get_storage

    with get_storage().open(claim.files[0].storage_key) as stream:
        return stream.read()


def _backdate(claim_id: int, moment: datetime) -> None:
    """Demo history: the claim was made on `moment` (naive UTC), not now."""
    with write_transaction() as session:
        claim = session.get(Submission, claim_id)
        claim.created_at = claim.updated_at = moment
        for upload in claim.files:
            upload.created_at = moment


def _decide(rng, claim: Submission, committee: list[User], today: date, *, reject: bool, appeal: bool) -> str:
    if claim.flagged or clock.local_date(claim.created_at) > today - timedelta(days=DECIDED_AFTER_DAYS):
        return "pending"
    reviewer = Caller.of(rng.choice(committee))
    if not reject:
        amount = rng.randint(3, 5) if claim.activity_type == "photo" else None
        approve_submission(caller=reviewer, submission=claim, amount=amount, note=None)
        outcome = "approved"
    else:
        reject_submission(caller=reviewer, submission=claim, reason=rng.choice(REJECTIONS))
        outcome = "rejected"
        if appeal:
            owner = db.session.execute(select(User).where(User.villager_id == claim.villager_id)).scalar_one()
            appeal_submission(caller=Caller.of(owner), submission=claim, reason="情况属实，请再看看")
            outcome = "pending"
    with write_transaction() as session:
        row = session.get(Submission, claim.id)
        if row.decided_at is not None:
            row.decided_at = row.created_at + timedelta(days=rng.randint(1, DECIDED_AFTER_DAYS))
    return outcome


def _assisted(village: Village, member: User) -> Submission | None:
    """An elderly villager without a smartphone: the committee records the claim, another member reviews it."""
    elder = db.session.execute(
        select(Villager)
        .where(Villager.village_id == village.id, ~Villager.user.has())
        .order_by(Villager.birth_date)
        .limit(1)
    ).scalar_one_or_none()
    if elder is None:
        return None
    caller = Caller.of(member)
    photo = store_upload(caller=caller, data=demo_photo(village.id * 7919)).id
    return create_assisted_submission(
        caller=caller, villager=elder, activity_type="photo", text="代老人登记：门前菜地整理干净", file_ids=[photo]
    )
