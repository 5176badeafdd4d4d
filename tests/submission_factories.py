"""Speak-and-photo objects of the authorization matrix's other village."""

from sqlalchemy import select

from backend.adapters.storage import get_storage
from backend.extensions import db
from backend.models import Submission, Upload, User


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
