from masthead.accounts.tests.conftest import link_in


def test_it_hashes_new_passwords_with_argon2(client, db, settings, django_user_model, mailoutbox):
    # Tests use a fast hasher; here the production list applies.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

    client.post("/accounts/signup/", {"email": "hashed@example.com", "password1": "a-long-new-password"})

    assert link_in(mailoutbox[0], "/accounts/confirm-email/")
    assert django_user_model.objects.get(email="hashed@example.com").password.startswith("argon2")
