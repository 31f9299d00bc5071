import pytest

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/login/code/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/no-such-key/",
]
READER_PAGES = [
    "/account/",
    "/account/delete/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/sessions/",
    "/accounts/logout/",
]


def assert_in_site_layout(html: str) -> None:
    assert 'class="site-header"' in html
    assert 'class="site-footer"' in html
    assert "content/site.css" in html and "accounts/accounts.css" in html
    assert "<script" not in html  # every page is a plain form


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_it_renders_entrance_pages_inside_the_site_layout(visitor, db, path):
    response = visitor.get(path)
    assert response.status_code == 200
    assert_in_site_layout(response.content.decode())


@pytest.mark.parametrize("path", READER_PAGES)
def test_it_renders_account_pages_inside_the_site_layout(reader_client, billing, path):
    response = reader_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert_in_site_layout(html)
    assert 'class="account-nav"' in html


def test_it_renders_the_code_entry_page_inside_the_site_layout(visitor, reader, mailoutbox):
    confirm = visitor.post("/accounts/login/code/", {"email": reader.email})["Location"]
    assert_in_site_layout(visitor.get(confirm).content.decode())
