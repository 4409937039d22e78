"""Escalation chains: the defaults by priority, a type's own chain, and the email delay."""

from datetime import timedelta

import pytest

from tocsin.notifications import escalation
from tocsin.notifications.escalation import DEFAULT_CHAINS, Step


def test_urgent_pushes_at_once_unless_visible_then_emails_after_five_minutes():
    push, email = DEFAULT_CHAINS["urgent"]
    assert (push.channel, push.after, push.unless_visible) == ("push", timedelta(0), True)
    assert (email.channel, email.after, email.unless_visible) == (
        "email",
        timedelta(minutes=5),
        False,
    )


def test_high_and_normal_email_after_the_email_delay_and_normal_yields_to_a_digest():
    assert escalation.step_for(DEFAULT_CHAINS["high"], "email") == Step("email", None)
    normal = escalation.step_for(DEFAULT_CHAINS["normal"], "email")
    assert normal is not None and normal.after is None and normal.unless_digest


def test_low_goes_nowhere_beyond_the_badge():
    assert DEFAULT_CHAINS["low"] == ()
    assert escalation.step_of("push", None, "low") is None


def test_a_type_may_declare_one_chain_for_every_priority():
    only_email = (Step("email", timedelta(minutes=1)),)
    assert escalation.chain(only_email, "urgent") == only_email
    assert escalation.step_of("push", only_email, "urgent") is None


def test_a_chain_per_priority_falls_back_to_the_defaults_for_the_rest():
    declared = {"urgent": (Step("push"),)}
    assert escalation.chain(declared, "urgent") == (Step("push"),)
    assert escalation.chain(declared, "high") == DEFAULT_CHAINS["high"]


def test_unknown_priority_has_no_chain():
    assert escalation.chain(None, "whatever") == ()


@pytest.mark.usefixtures("ctx")
def test_email_delay_is_the_types_own_else_the_setting(app):
    app.config["TOCSIN_EMAIL_DELAY"] = 120
    assert escalation.email_delay(None) == timedelta(seconds=120)
    assert escalation.email_delay(timedelta(seconds=5)) == timedelta(seconds=5)
    step = Step("email", None)
    assert escalation.delay(step, timedelta(seconds=7)) == timedelta(seconds=7)
    assert escalation.delay(Step("email", timedelta(0)), timedelta(seconds=7)) == timedelta(0)
