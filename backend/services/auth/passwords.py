"""The staff password policy (等保 2.0 level 3): long enough, three kinds of character, not a common or guessable
password (zxcvbn's frequency lists and patterns), and changed on first sign-in when someone else set it."""

from zxcvbn import zxcvbn

from backend import clock
from backend.database import write_transaction
from backend.errors import InvalidInput, Unauthorized
from backend.models import User
from backend.services.access import Caller
from backend.services.audit import record_audit
from backend.services.auth.sessions import TokenPair, hash_password, start_session, verify_password
from backend.services.auth.sign_ins import revoke_all_sign_ins

MIN_LENGTH = 10
MIN_CLASSES = 3
MIN_STRENGTH = 3  # zxcvbn's 0-4: 3 is "safely unguessable" against an offline attack slowed by a strong hash


class WrongPassword(Unauthorized):
    status, message = "bad_credentials", "当前密码错误。"


def password_problems(password: str, *, user_inputs: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with a new password (Chinese sentences); empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("密码至少 10 位。")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < MIN_CLASSES:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三种。")
    if zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])["score"] < MIN_STRENGTH:
        problems.append("密码太常见或太容易猜到（如常用密码、键盘序列、含用户名），请换一个。")
    return problems


def check_password_policy(password: str, *, field: str = "new_password", user_inputs: tuple[str, ...] = ()) -> None:
    """422 naming `field` with every problem of the password."""
    problems = password_problems(password, user_inputs=user_inputs)
    if problems:
        raise InvalidInput(errors={field: problems})


def change_password(
    *, caller: Caller, current_password: str, new_password: str, user_agent: str | None, ip_address: str | None
) -> TokenPair:
    """Change my password; every other sign-in of mine ends, and this one continues with fresh tokens."""
    with write_transaction() as session:
        user = session.get(User, caller.user_id)
        if not verify_password(user.password_hash, current_password):
            raise WrongPassword()
        check_password_policy(new_password, user_inputs=(user.username or "", user.display_name or ""))
        if verify_password(user.password_hash, new_password):
            raise InvalidInput(errors={"new_password": ["新密码不能与当前密码相同。"]})
        user.password_hash = hash_password(new_password)
        user.must_change_password, user.password_changed_at = False, clock.now()
        revoke_all_sign_ins(session, user.id, reason="password_changed")
        record_audit(session, actor=caller, action="user.password_change", entity=user)
        return start_session(user, user_agent=user_agent, ip_address=ip_address)
