"""Settings: the contract's variables and defaults, one line per bad setting, secrets hidden."""

from __future__ import annotations

from datetime import time

import pytest

from onward.engine.errors import ConfigError
from onward.engine.placeholder_credentials import refuse_placeholder_credentials
from onward.engine.runtime import router_config
from onward.engine.settings import Settings, load_settings
from onward.plans import DEFAULT_WINDOW, SendWindow

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "s3cr3t-token-value",
    "ONWARD_TWILIO_FROM": "+15005550006",
}


def test_defaults_are_the_embedded_default() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///./onward.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.send_window == DEFAULT_WINDOW == SendWindow(time(9), time(20))
    assert settings.sms_channel_name == "console"
    assert settings.email_channel_name == "console"


def test_credentials_choose_the_provider_channels() -> None:
    settings = load_settings({**TWILIO, "SENDGRID_API_KEY": "SG.x", "ONWARD_EMAIL_FROM": "a@b.co"})
    assert settings.sms_channel_name == "twilio"
    assert settings.email_channel_name == "sendgrid"
    assert load_settings({**TWILIO, "ONWARD_SMS_CHANNEL": "console"}).sms_channel_name == "console"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"ONWARD_PORT": "99999"}, "ONWARD_PORT"),
        ({"ONWARD_PORT": "eighty"}, "ONWARD_PORT"),
        ({"ONWARD_DATABASE_URL": "mysql://x"}, "ONWARD_DATABASE_URL"),
        ({"ONWARD_PUBLIC_URL": "example.org"}, "ONWARD_PUBLIC_URL"),
        ({"ONWARD_SEND_WINDOW": "20:00-09:00"}, "ONWARD_SEND_WINDOW"),
        ({"ONWARD_SEND_WINDOW": "soon"}, "ONWARD_SEND_WINDOW"),
        ({"TWILIO_ACCOUNT_SID": "AC1"}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_AUTH_TOKEN": "tok"}, "TWILIO_ACCOUNT_SID"),
        ({k: v for k, v in TWILIO.items() if k != "ONWARD_TWILIO_FROM"}, "ONWARD_TWILIO_FROM"),
        ({"SENDGRID_API_KEY": "SG.secret"}, "ONWARD_EMAIL_FROM"),
        ({"ONWARD_INBOUND_EMAIL_USER": "u"}, "ONWARD_INBOUND_EMAIL_PASSWORD"),
        ({"ONWARD_SMS_CHANNEL": "twilio"}, "TWILIO_ACCOUNT_SID"),
        ({"ONWARD_EMAIL_CHANNEL": "smtp"}, "ONWARD_SMTP_URL"),
        ({"ONWARD_CRISIS_LINES": "junk"}, "ONWARD_CRISIS_LINES"),
    ],
)
def test_a_bad_setting_fails_with_one_line_naming_the_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_secrets_never_appear_in_errors_or_reprs() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SENDGRID_API_KEY": "SG.very-secret", "ONWARD_PORT": "0"})
    assert "very-secret" not in str(caught.value)
    settings = load_settings(
        {**TWILIO, "ONWARD_SMTP_URL": "smtp://u:pw-secret@h:25", "ONWARD_EMAIL_FROM": "a@b.co"}
    )
    shown = repr(settings) + str(settings.model_dump())
    assert "s3cr3t-token-value" not in shown
    assert "pw-secret" not in shown


def test_dotenv_file_in_the_working_directory_is_read(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"  # type: ignore[operator]
    env_file.write_text("ONWARD_PORT=8123\nONWARD_SEND_WINDOW=08:00-21:00\n")
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    for name in Settings.model_fields:
        monkeypatch.delenv(f"ONWARD_{name.upper()}", raising=False)
    settings = load_settings()
    assert settings.port == 8123
    assert str(settings.send_window) == "08:00-21:00"


# --- placeholder and too-short credentials are refused at start-up --------------------------

GOOD_SECRETS = {
    **TWILIO,
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "SENDGRID_API_KEY": "SG.abcdefghijklmnop.qrstuvwxyz0123456789",
    "ONWARD_EMAIL_FROM": "onward@example.org",
    "ONWARD_INBOUND_EMAIL_USER": "parse",
    "ONWARD_INBOUND_EMAIL_PASSWORD": "a-long-random-phrase-9",
    "ONWARD_DATABASE_URL": "postgresql+psycopg://onward:9f8e7d6c5b4a@db:5432/onward",
}


def test_real_looking_credentials_pass() -> None:
    refuse_placeholder_credentials(load_settings(GOOD_SECRETS))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TWILIO_AUTH_TOKEN", "CHANGE-ME"),
        ("TWILIO_AUTH_TOKEN", "change_me_please_0123456789abcdef"),
        ("TWILIO_AUTH_TOKEN", "short-token"),
        ("TWILIO_AUTH_TOKEN", "x" * 32),
        ("ONWARD_INBOUND_EMAIL_PASSWORD", "CHANGE-ME"),
        ("ONWARD_INBOUND_EMAIL_PASSWORD", "password"),
        ("ONWARD_INBOUND_EMAIL_PASSWORD", "hunter2"),
        ("SENDGRID_API_KEY", "CHANGE-ME"),
        ("SENDGRID_API_KEY", "SG.x"),
        ("TWILIO_ACCOUNT_SID", "CHANGE-ME"),
        ("ONWARD_DATABASE_URL", "postgresql+psycopg://onward:CHANGE-ME@postgres:5432/onward"),
    ],
)
def test_placeholders_and_short_secrets_are_refused_in_one_line(variable: str, value: str) -> None:
    settings = load_settings({**GOOD_SECRETS, variable: value})
    with pytest.raises(ConfigError) as caught:
        refuse_placeholder_credentials(settings)
    message = str(caught.value)
    assert variable in message and "\n" not in message
    assert value not in message  # the value itself is never printed


def test_one_name_for_the_organisation_which_help_and_plan_texts_share() -> None:
    settings = load_settings({"ONWARD_ORG_NAME": "Northside Careers"})
    assert router_config(settings).org_name == "Northside Careers"
    # The first round's name for it still works; the new one wins when both are set.
    assert load_settings({"ONWARD_OPERATOR_NAME": "Acme Club"}).org_name == "Acme Club"
    both = {"ONWARD_OPERATOR_NAME": "Acme Club", "ONWARD_ORG_NAME": "Northside Careers"}
    assert load_settings(both).org_name == "Northside Careers"
