"""Time that stands still at START until a test moves it (see the `frozen` fixture)."""

from datetime import datetime, timedelta

from backend import clock

# 2026-03-10 10:00 in the village (UTC+8).
START = datetime(2026, 3, 10, 2, 0)


class Clock:
    def __init__(self, monkeypatch):
        self.moment = START
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)
