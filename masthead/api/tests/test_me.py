"""``me``: the profile, entitlements and subscription status, with the payment-failed flag."""


def test_a_registered_reader_has_no_subscription(reader_api, reader):
    body = reader_api.get("/me").json()
    assert body["email"] == reader.email and body["id"] == reader.pk
    assert body["entitlements"] == {"segment": "registered", "entitled": False}
    assert body["subscription"] is None


def test_a_subscriber_is_entitled(reader_api, reader, subscribe):
    subscribe(reader)
    body = reader_api.get("/me").json()
    assert body["entitlements"] == {"segment": "subscriber", "entitled": True}
    assert body["subscription"]["status"] == "active"
    assert body["subscription"]["payment_failed"] is False


def test_a_failed_renewal_is_flagged_with_where_to_update_payment(reader_api, reader, subscribe):
    subscribe(reader, status="past_due", days=-2)
    body = reader_api.get("/me").json()
    assert body["entitlements"] == {"segment": "payment_failed", "entitled": False}
    assert body["subscription"]["payment_failed"] is True
    assert body["subscription"]["update_payment_url"] == "http://127.0.0.1:8000/account/billing/"
    assert "no-store" in reader_api.get("/me")["Cache-Control"]
