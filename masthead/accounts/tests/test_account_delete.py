import pytest
from django.test import Client

from masthead.accounts.tests.conftest import PASSWORD, log_in, logged_in


@pytest.fixture
def billing_closed(monkeypatch):
    """Every reader_billing_close call, by reader id (billing's own action still runs)."""
    from masthead.billing import actions

    calls = []
    real = actions.reader_billing_close

    def record(*, reader, actor):
        calls.append((reader.pk, actor.pk))
        real(reader=reader, actor=actor)

    monkeypatch.setattr(actions, "reader_billing_close", record)
    return calls


def test_it_deletes_the_account_and_logs_out(
    client, verified_reader, billing_closed, django_user_model, django_capture_on_commit_callbacks
):
    other_browser = Client()
    log_in(other_browser, verified_reader.email)
    log_in(client, verified_reader.email)
    reader_id = verified_reader.pk

    assert client.get("/account/delete/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/delete/", {"password": PASSWORD})

    assert response.status_code == 200
    assert "has been deleted" in response.content.decode()
    assert billing_closed == [(reader_id, reader_id)]
    assert not django_user_model.objects.filter(pk=reader_id).exists()
    assert not logged_in(client)
    assert other_browser.get("/account/")["Location"].startswith("/accounts/login/")


def test_it_keeps_the_account_when_the_password_is_wrong(client, verified_reader, billing_closed, django_user_model):
    client.force_login(verified_reader)

    response = client.post("/account/delete/", {"password": "not-my-password"})

    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    assert billing_closed == []
    assert django_user_model.objects.filter(pk=verified_reader.pk).exists()


def test_it_only_deletes_on_post(client, verified_reader, django_user_model):
    client.force_login(verified_reader)
    client.get("/account/delete/", {"password": PASSWORD})
    assert django_user_model.objects.filter(pk=verified_reader.pk).exists()


def test_it_deletes_through_the_django_admin_the_same_way(client, verified_reader, billing_closed, django_user_model):
    staff = django_user_model.objects.create_superuser(email="admin@example.com", password="x-admin-password")
    client.force_login(staff)

    response = client.post(f"/django-admin/accounts/user/{verified_reader.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert billing_closed == [(verified_reader.pk, staff.pk)]
    assert not django_user_model.objects.filter(pk=verified_reader.pk).exists()


def test_it_refuses_a_reader_deleting_someone_else(verified_reader, django_user_model):
    from django.core.exceptions import PermissionDenied

    from masthead.accounts.actions import account_delete

    other = django_user_model.objects.create_user(email="other@example.com", password="x-other-password")
    with pytest.raises(PermissionDenied):
        account_delete(reader=other, actor=verified_reader)
    assert django_user_model.objects.filter(pk=other.pk).exists()
