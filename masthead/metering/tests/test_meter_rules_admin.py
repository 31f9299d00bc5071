"""Staff edit the meter's rules in the admin; bad rules are refused and every change is a new version."""

import pytest
from django.core.exceptions import ValidationError

from masthead.metering import policy
from masthead.metering.models import MeterRules, MeterRulesVersion
from masthead.metering.rules import Segment


def test_it_uses_the_defaults_until_staff_save_rules(db):
    rules = policy.current_rules()
    assert rules.version == 0
    assert rules.allowance(Segment.ANONYMOUS).limit == 5


def test_every_save_is_a_new_version_that_decisions_use(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        settings_row = MeterRules.load()  # creating the row is the first saved version
        settings_row.anonymous_limit = 3
        settings_row.full_clean()
        settings_row.save()
    with django_capture_on_commit_callbacks(execute=True):
        settings_row.registration_wall_after = 2
        settings_row.save()
    assert list(MeterRulesVersion.objects.values_list("number", flat=True)) == [3, 2, 1]
    rules = policy.current_rules()
    assert (rules.version, rules.allowance(Segment.ANONYMOUS).limit, rules.registration_wall_after) == (3, 3, 2)
    assert MeterRulesVersion.objects.get(number=2).snapshot["allowances"]["anonymous"]["limit"] == 3
    assert MeterRulesVersion.objects.get(number=2).snapshot["registration_wall_after"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"anonymous_limit": 3, "registration_wall_after": 4}, "registration_wall_after"),
        ({"referral_daily_allowance": 50}, "referral_daily_allowance"),
        ({"registered_window": "rolling", "registered_rolling_days": 0}, "registered_limit"),
        ({"lead_in_paragraphs": 0}, "lead_in_paragraphs"),
    ],
)
def test_it_refuses_rules_that_make_no_sense(db, changes, field):
    settings_row = MeterRules.load()
    for name, value in changes.items():
        setattr(settings_row, name, value)
    with pytest.raises(ValidationError) as error:
        settings_row.full_clean()
    assert field in error.value.message_dict


def test_the_admin_form_shows_the_problem_and_saves_nothing(client, db, django_user_model):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    client.force_login(admin)
    form = client.get("/admin/settings/metering/meterrules/", follow=True)
    assert form.status_code == 200
    url = form.redirect_chain[-1][0]
    versions = MeterRulesVersion.objects.count()
    data = {
        "anonymous_limit": 3, "anonymous_window": "month", "anonymous_rolling_days": 30,
        "registered_limit": 10, "registered_window": "month", "registered_rolling_days": 30,
        "payment_failed_limit": 5, "payment_failed_window": "month", "payment_failed_rolling_days": 30,
        "former_subscriber_limit": 5, "former_subscriber_window": "month", "former_subscriber_rolling_days": 30,
        "registration_wall_after": 4, "countdown_from": 2, "lead_in_paragraphs": 2, "lead_in_min_words": 50,
        "referral_daily_allowance": 0,
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    assert "must come at or before the anonymous limit" in response.content.decode()
    assert MeterRulesVersion.objects.count() == versions
    data["registration_wall_after"] = 3
    assert client.post(url, data).status_code == 302
    assert MeterRulesVersion.objects.count() == versions + 1
