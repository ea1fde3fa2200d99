import pytest

from oversight.checks import retention_schedule_check


def test_the_default_retention_schedule_passes_the_start_up_check():
    assert retention_schedule_check(None) == []


@pytest.mark.parametrize("bad", [{"years": "3"}, {"years": 0}, {"weeks": 3}, None])
def test_a_bad_retention_period_fails_the_start_up_check(settings, bad):
    settings.PORTAL_RETENTION = {**settings.PORTAL_RETENTION, "outbox_messages": bad}

    errors = retention_schedule_check(None)

    assert [e.id for e in errors] == ["governance.E001"]
    assert "outbox_messages" in errors[0].msg
