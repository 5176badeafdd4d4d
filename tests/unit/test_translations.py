"""Every refusal a user can meet has an English text for `Accept-Language: en`."""

import importlib
import pkgutil
from pathlib import Path

from babel.messages.pofile import read_po

import backend
from backend.api.errors import _MARSHMALLOW, HTTP_MESSAGES
from backend.errors import AppError

CATALOGUE = Path(backend.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _msgids() -> set[str]:
    with CATALOGUE.open("rb") as po:
        return {message.id for message in read_po(po) if message.id and message.string}


def _all_error_classes() -> set[type]:
    for module in pkgutil.walk_packages(backend.__path__, "backend."):
        importlib.import_module(module.name)
    found, todo = set(), [AppError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_domain_error_message_has_an_english_translation():
    known = _msgids()
    missing = sorted({cls.message for cls in _all_error_classes() | {AppError}} - known)
    assert not missing, f"add English for these messages to {CATALOGUE.name}: {missing}"


def test_http_and_validation_messages_have_english_translations():
    known = _msgids()
    wanted = {msgid for _status, msgid in HTTP_MESSAGES.values()} | set(_MARSHMALLOW.values())
    assert wanted <= known, sorted(wanted - known)
