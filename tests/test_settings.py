"""Settings: every variable documented, and bad values stop start-up with a clear message."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READERS = {"env_str", "env_bool", "env_int", "env_list", "env_secret", "env_timezone", "env_networks", "env_url"}


def variables_read() -> set[str]:
    """Every environment variable the package reads through the typed helpers."""
    names = set()
    for path in (ROOT / "masthead").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in READERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return names


def test_it_documents_every_setting():
    documented = set(re.findall(r"^### ([A-Z_]+)$", (ROOT / "docs" / "configuration.md").read_text(), re.M))
    read = variables_read()
    assert len(read) > 20
    assert read - documented == set(), "document these in docs/configuration.md"
    assert documented - read == set(), "these are documented but never read"


PRODUCTION = {
    "SECRET_KEY": "x" * 50,
    "SITE_URL": "https://news.example.com",
    "ALLOWED_HOSTS": "news.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "BILLING_SANDBOX_IN_PRODUCTION": "1",
}


def start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, with only ``env`` (plus PATH) set."""
    clean = {"PATH": os.environ["PATH"], "MASTHEAD_VAR_DIR": os.environ.get("MASTHEAD_VAR_DIR", str(ROOT / "var"))}
    return subprocess.run(
        [sys.executable, "-c", "import masthead.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_it_starts_with_complete_production_settings():
    result = start(PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_it_starts_in_demo_mode_with_nothing_else_set():
    result = start({"MASTHEAD_DEMO": "1"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS", "EMAIL_HOST"])
def test_it_refuses_to_start_in_production_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("DEBUG", "maybe"),
        ("PUBLICATION_TIMEZONE", "Mars/Olympus"),
        ("SITE_URL", "news.example.com"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,not-an-address"),
        ("WEB_CONCURRENCY", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("PUBLICATION_LANGUAGE", "en_GB; drop"),
        ("DATABASE_URL", "nosuchdb://x/y"),
        ("EMAIL_USE_TLS", "sometimes"),
        ("EMAIL_PORT", "-1"),
        ("EMAIL_PROVIDER", "carrier-pigeon"),
        ("EMAIL_PROVIDER_API_URL", "api.mailgun.net"),
        ("BILLING_GATEWAY", "paypal"),
        ("STRIPE_API_BASE", "localhost:8420"),
        ("BILLING_CURRENCY", "dollars"),
        ("BILLING_GRACE_DAYS", "-3"),
        ("BILLING_RETRY_DAYS", "1,x"),
        ("BILLING_RETRY_DAYS", "5,3"),
        ("BILLING_RETRY_DAYS", "0,2"),
        ("BILLING_FINAL_STATUS", "deleted"),
        ("BILLING_OFFER_ENDING_DAYS", "0"),
        ("BILLING_RENEWAL_REMINDER_DAYS", "soon"),
        ("OFFER_TOKEN_MAX_AGE_HOURS", "0"),
    ],
)
def test_it_names_the_variable_when_a_value_is_invalid(name, value):
    result = start({**PRODUCTION, name: value})
    assert result.returncode != 0
    assert name in result.stderr.splitlines()[-1]


def test_it_refuses_the_sandbox_gateway_in_production_unless_asked():
    env = {k: v for k, v in PRODUCTION.items() if k != "BILLING_SANDBOX_IN_PRODUCTION"}
    result = start(env)
    assert result.returncode != 0
    assert "BILLING_GATEWAY" in result.stderr


def test_it_refuses_the_stripe_gateway_without_its_keys():
    result = start({**PRODUCTION, "BILLING_GATEWAY": "stripe"})
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr.splitlines()[-1]
    keyed = {**PRODUCTION, "BILLING_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_x"}
    assert "STRIPE_WEBHOOK_SECRET" in start(keyed).stderr


def test_it_starts_on_the_stripe_gateway_with_its_keys(tmp_path):
    secret = tmp_path / "whsec"
    secret.write_text("whsec_test\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "BILLING_SANDBOX_IN_PRODUCTION"}
    result = start(
        {
            **env,
            "BILLING_GATEWAY": "stripe",
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET_FILE": str(secret),
        }
    )
    assert result.returncode == 0, result.stderr


def test_it_refuses_both_tls_and_ssl_for_email():
    result = start({**PRODUCTION, "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})
    assert result.returncode != 0
    assert "EMAIL_USE_TLS or EMAIL_USE_SSL" in result.stderr


def test_an_email_api_provider_stands_in_for_an_smtp_server():
    env = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}
    assert start({**env, "EMAIL_PROVIDER": "postmark", "EMAIL_PROVIDER_API_KEY": "k"}).returncode == 0
    keyless = start({**env, "EMAIL_PROVIDER": "postmark"})
    assert keyless.returncode != 0
    assert "EMAIL_PROVIDER_API_KEY" in keyless.stderr


def test_it_reads_secrets_from_files(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("y" * 50 + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    assert start({**env, "SECRET_KEY_FILE": str(secret)}).returncode == 0
    missing = start({**env, "SECRET_KEY_FILE": str(tmp_path / "absent")})
    assert missing.returncode != 0
    assert "SECRET_KEY_FILE" in missing.stderr


def test_it_refuses_the_demo_secret_in_production():
    result = start({**PRODUCTION, "SECRET_KEY": "masthead-demo-secret-not-for-production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_cli_reports_configuration_errors_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "check"],
        env={"PATH": os.environ["PATH"], "PORT": "eighty", "MASTHEAD_DEMO": "1"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "masthead: configuration error: PORT must be a whole number, not 'eighty'"


def test_the_demos_site_url_follows_its_port():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        env={
            "PATH": os.environ["PATH"],
            "MASTHEAD_VAR_DIR": os.environ.get("MASTHEAD_VAR_DIR", str(ROOT / "var")),
            "DJANGO_SETTINGS_MODULE": "masthead.settings",
            "MASTHEAD_DEMO": "1",
            "PORT": "8765",
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8765"
