"""Domain errors say what went wrong; only the HTTP layer's one table turns them into status codes."""

from backend.api.errors import STATUS_CODES, status_code
from backend.errors import AppError, Conflict, InvalidInput, NotFound
from backend.services.access import NotBound
from backend.services.earning.uploads import FileTooLarge
from tests.unit.test_translations import _all_error_classes


def test_no_domain_error_carries_an_http_status():
    carriers = sorted(cls.__qualname__ for cls in _all_error_classes() | {AppError} if "code" in vars(cls))
    assert not carriers


def test_each_error_answers_with_the_status_of_its_nearest_family():
    class OutOfStock(Conflict):
        pass

    assert status_code(OutOfStock()) == 409
    assert status_code(InvalidInput()) == 422
    assert status_code(NotFound()) == 404
    assert status_code(NotBound()) == 403
    assert status_code(FileTooLarge(max_mb=5)) == 413
    assert all(status_code(cls()) in STATUS_CODES.values() for cls in _all_error_classes())
