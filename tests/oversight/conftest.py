"""Oversight reads what the other apps recorded: the same directly made records as governance's tests."""

from tests.governance.conftest import london, make_call, model, seed_policy  # noqa: F401 - fixtures and helpers
