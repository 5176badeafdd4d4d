"""Speak and photo: test photos, the claims village (`v`), and the authorization matrix's objects of these kinds."""

import io
import random
from datetime import date

from PIL import Image, ImageDraw
from sqlalchemy import select

from backend.adapters.storage import get_storage
from backend.extensions import db
from backend.models import RuleSet, Submission, Upload, User
from backend.rules.loader import load_demo_rule_set
from tests.conftest import body
from tests.factories import auth, keyed, make_household, make_staff, make_village, make_villager, make_villager_user


def submission_object_factories(marker: str) -> dict:
    """Path parameter -> a claim, a file or a stored-file key of the other village (texts carry `marker`)."""

    def owner(world) -> User:
        return db.session.execute(select(User).where(User.villager_id == world.villager.id)).scalar_one()

    def submission(world) -> int:
        if "submission" not in world.objects:
            claim = Submission(
                village_id=world.village.id,
                villager_id=world.villager.id,
                activity_type="speak",
                text=f"{marker}建议",
                entered_by_id=owner(world).id,
            )
            db.session.add(claim)
            db.session.commit()
            world.objects["submission"] = claim.id
        return world.objects["submission"]

    def upload(world) -> Upload:
        if "upload" not in world.objects:
            key = get_storage().save(f"{marker}录音".encode(), "amr")
            stored = Upload(
                village_id=world.village.id,
                owner_id=owner(world).id,
                kind="voice",
                content_type="audio/amr",
                size=12,
                storage_key=key,
                sha256="0" * 64,
            )
            db.session.add(stored)
            db.session.commit()
            world.objects["upload"] = stored.id
        return db.session.get(Upload, world.objects["upload"])

    return {
        "submission_id": submission,
        "upload_id": lambda world: upload(world).id,
        # The signed media link without its signature: the path alone must give nothing away.
        "key": lambda world: upload(world).storage_key,
    }


def make_photo(seed: int = 1, *, fmt: str = "JPEG", size=(640, 480), exif: bytes | None = None) -> bytes:
    """A photo-like picture: random coloured shapes, so that different seeds look different."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 300))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, fmt, **({"exif": exif} if exif else {}))
    return out.getvalue()


def altered_copy(data: bytes) -> bytes:
    """The same photo, trimmed at the edge, shrunk, brightened, marked and re-compressed: a near duplicate."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.crop((8, 8, image.width, image.height)).resize((image.width * 3 // 4, image.height * 3 // 4))
    image = image.point(lambda v: min(255, v + 10))
    ImageDraw.Draw(image).rectangle((10, 10, 40, 25), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def publish_demo_points_rules(village) -> RuleSet:
    """The demo town's points rules (P01 photo 1-5 capped 20/month, P06 speak 10), in force since 2026."""
    document = load_demo_rule_set("points_qt")
    document["badges"] = []  # their bonus points would blur the balances these tests count
    rule_set = RuleSet(
        village_id=village.id, kind="points", version=1, status="published", effective_from=date(2026, 1, 1)
    )
    rule_set.document = document
    db.session.add(rule_set)
    db.session.commit()
    return rule_set


class Village:
    """One village with rules, a villager household and two committee members, plus request helpers."""

    def __init__(self, client):
        self.client = client
        self.village = make_village()
        publish_demo_points_rules(self.village)
        self.household = make_household(self.village)
        self.villager = make_villager(self.village, name="李四", household=self.household)
        self.user = make_villager_user(self.villager)
        self.cw1 = make_staff("committee", village=self.village)
        self.cw2 = make_staff("committee", village=self.village)
        self.headers = auth(self.user)

    def upload(self, data: bytes, headers=None, name="photo.jpg"):
        return self.client.post(
            "/api/v1/uploads",
            data={"file": (io.BytesIO(data), name)},
            headers=headers or self.headers,
            content_type="multipart/form-data",
        )

    def file_id(self, data: bytes, headers=None) -> int:
        response = self.upload(data, headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return body(response)["file_id"]

    def submit(self, payload: dict, headers=None):
        return self.client.post("/api/v1/submissions", json=payload, headers=keyed(headers or self.headers))

    def submit_photo(self, data: bytes, text: str = "门前垃圾已清理", headers=None) -> dict:
        payload = {"activity_type": "photo", "text": text, "file_ids": [self.file_id(data, headers)]}
        response = self.submit(payload, headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return body(response)

    def submit_speak(self, text: str = "建议在村口加装路灯") -> dict:
        response = self.submit({"activity_type": "speak", "text": text})
        assert response.status_code == 201, response.get_data(as_text=True)
        return body(response)

    def decide(self, submission_id: int, action: str, staff, **payload):
        return self.client.post(f"/api/v1/submissions/{submission_id}/{action}", json=payload, headers=auth(staff))
