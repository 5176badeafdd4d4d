"""Errors raised by the rule language; they carry Chinese messages and never import Flask."""


class RuleError(Exception):
    """A rule cannot be applied as asked (amount out of range, unknown rule, bad input)."""

    def __init__(self, message: str, *, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class RuleSetInvalid(RuleError):
    """A rule set failed validation; `errors` holds the nested field messages."""

    def __init__(self, errors: dict):
        super().__init__("规则集校验未通过，请检查标出的字段。", errors=errors)
