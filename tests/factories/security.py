"""Factories of graded protection: sign-ins of other people, for the authorisation matrix."""


def sign_in_object_factories(marker: str) -> dict:
    from backend.extensions import db
    from backend.services.auth.sessions import start_session

    def sign_in(world) -> str:
        if "sign_in" not in world.objects:
            from flask_jwt_extended import decode_token

            pair = start_session(world.committee, user_agent=marker)
            db.session.commit()
            world.objects["sign_in"] = decode_token(pair.access_token)["fam"]
        return world.objects["sign_in"]

    return {"sign_in_id": sign_in}
