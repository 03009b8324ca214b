"""Settings from the environment (and a `.env` file), built once by the CLI and passed down."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from onward.engine.crisis import parse_crisis_lines_setting
from onward.engine.errors import ConfigError
from onward.plans import parse_window


class Settings(BaseSettings):
    """Every variable of the contract, plus onward's operational knobs (all prefixed ONWARD_)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=False
    )

    database_url: str = Field("sqlite:///./onward.db", alias="ONWARD_DATABASE_URL")
    host: str = Field("127.0.0.1", alias="ONWARD_HOST")
    port: int = Field(8000, alias="ONWARD_PORT", ge=1, le=65535)
    public_url: str = Field("http://127.0.0.1:8000", alias="ONWARD_PUBLIC_URL")
    sms_channel: str | None = Field(None, alias="ONWARD_SMS_CHANNEL")
    email_channel: str | None = Field(None, alias="ONWARD_EMAIL_CHANNEL")

    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_from: str | None = Field(None, alias="ONWARD_TWILIO_FROM")
    twilio_messaging_service_sid: str | None = Field(
        None, alias="ONWARD_TWILIO_MESSAGING_SERVICE_SID"
    )
    twilio_api_base: str | None = Field(None, alias="ONWARD_TWILIO_API_BASE")
    # A long code sends about 1 message a second; a short code or a Messaging Service more.
    twilio_rate_per_sec: float = Field(1.0, alias="ONWARD_TWILIO_RATE_PER_SEC", gt=0)

    sendgrid_api_key: SecretStr | None = Field(None, alias="SENDGRID_API_KEY")
    email_from: str | None = Field(None, alias="ONWARD_EMAIL_FROM")
    sendgrid_api_base: str | None = Field(None, alias="ONWARD_SENDGRID_API_BASE")
    sendgrid_event_public_key: str | None = Field(None, alias="ONWARD_SENDGRID_EVENT_PUBLIC_KEY")
    inbound_email_user: str | None = Field(None, alias="ONWARD_INBOUND_EMAIL_USER")
    inbound_email_password: SecretStr | None = Field(None, alias="ONWARD_INBOUND_EMAIL_PASSWORD")
    smtp_url: SecretStr | None = Field(None, alias="ONWARD_SMTP_URL")
    smtp_ca_file: str | None = Field(None, alias="ONWARD_SMTP_CA_FILE")

    send_window: str = Field("09:00-20:00", alias="ONWARD_SEND_WINDOW")

    # Operational knobs beyond the contract's table.
    log_format: Literal["console", "json"] = Field("console", alias="ONWARD_LOG_FORMAT")
    log_level: str = Field("INFO", alias="ONWARD_LOG_LEVEL")
    max_body_bytes: int = Field(64 * 1024, alias="ONWARD_MAX_BODY_BYTES", ge=1024)
    webhook_timeout_seconds: float = Field(10.0, alias="ONWARD_WEBHOOK_TIMEOUT_SECONDS", gt=0)
    max_email_bytes: int = Field(2 * 1024 * 1024, alias="ONWARD_MAX_EMAIL_BYTES", ge=1024)
    help_text: str | None = Field(None, alias="ONWARD_HELP_TEXT", max_length=480)
    missed_grace_hours: float = Field(6.0, alias="ONWARD_MISSED_GRACE_HOURS", gt=0)
    tick_seconds: float = Field(5.0, alias="ONWARD_TICK_SECONDS", gt=0)
    lease_seconds: int = Field(120, alias="ONWARD_LEASE_SECONDS", ge=5)
    claim_batch: int = Field(50, alias="ONWARD_CLAIM_BATCH", ge=1, le=1000)
    operator_name: str = Field("onward", alias="ONWARD_OPERATOR_NAME")
    crisis_phrases: str | None = Field(None, alias="ONWARD_CRISIS_PHRASES")
    crisis_lines: str | None = Field(None, alias="ONWARD_CRISIS_LINES")
    db_pool_size: int = Field(5, alias="ONWARD_DB_POOL_SIZE", ge=1)
    db_statement_timeout_ms: int = Field(15000, alias="ONWARD_DB_STATEMENT_TIMEOUT_MS", ge=0)
    # The coaches' console and named messages.
    org_name: str = Field("onward", alias="ONWARD_ORG_NAME", min_length=1, max_length=60)
    secret_key: SecretStr | None = Field(None, alias="ONWARD_SECRET_KEY")
    console_idle_minutes: int = Field(30, alias="ONWARD_CONSOLE_IDLE_MINUTES", ge=1, le=24 * 60)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("crisis_lines")
    @classmethod
    def _crisis_lines(cls, value: str | None) -> str | None:
        if value:
            parse_crisis_lines_setting(value)
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (try: openssl rand -hex 32)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        pairs = [
            (
                "TWILIO_ACCOUNT_SID",
                self.twilio_account_sid,
                "TWILIO_AUTH_TOKEN",
                self.twilio_auth_token,
            ),
            (
                "TWILIO_AUTH_TOKEN",
                self.twilio_auth_token,
                "TWILIO_ACCOUNT_SID",
                self.twilio_account_sid,
            ),
            ("SENDGRID_API_KEY", self.sendgrid_api_key, "ONWARD_EMAIL_FROM", self.email_from),
            (
                "ONWARD_INBOUND_EMAIL_USER",
                self.inbound_email_user,
                "ONWARD_INBOUND_EMAIL_PASSWORD",
                self.inbound_email_password,
            ),
            (
                "ONWARD_INBOUND_EMAIL_PASSWORD",
                self.inbound_email_password,
                "ONWARD_INBOUND_EMAIL_USER",
                self.inbound_email_user,
            ),
            ("ONWARD_SMTP_URL", self.smtp_url, "ONWARD_EMAIL_FROM", self.email_from),
        ]
        for have_name, have, need_name, need in pairs:
            if have is not None and need is None:
                raise ValueError(f"{need_name}: required when {have_name} is set")
        if self.twilio_account_sid and not (self.twilio_from or self.twilio_messaging_service_sid):
            raise ValueError(
                "ONWARD_TWILIO_FROM: set it or ONWARD_TWILIO_MESSAGING_SERVICE_SID "
                "when TWILIO_ACCOUNT_SID is set"
            )
        if self.sms_channel == "twilio" and not self.twilio_account_sid:
            raise ValueError("TWILIO_ACCOUNT_SID: required when ONWARD_SMS_CHANNEL=twilio")
        if self.email_channel == "sendgrid" and not self.sendgrid_api_key:
            raise ValueError("SENDGRID_API_KEY: required when ONWARD_EMAIL_CHANNEL=sendgrid")
        if self.email_channel == "smtp" and not self.smtp_url:
            raise ValueError("ONWARD_SMTP_URL: required when ONWARD_EMAIL_CHANNEL=smtp")
        return self

    @property
    def sms_channel_name(self) -> str:
        return self.sms_channel or ("twilio" if self.twilio_account_sid else "console")

    @property
    def email_channel_name(self) -> str:
        if self.email_channel:
            return self.email_channel
        if self.sendgrid_api_key:
            return "sendgrid"
        return "smtp" if self.smtp_url else "console"

    @property
    def missed_grace(self) -> timedelta:
        return timedelta(hours=self.missed_grace_hours)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | None = ".env"
) -> Settings:
    """Build Settings from `environ` (tests) or the process environment, failing with one line."""
    try:
        if environ is None:
            return Settings(_env_file=env_file)  # type: ignore[call-arg]
        # Tests pass a dict: read only that, never the process environment or a stray .env.
        return Settings.model_validate(dict(environ))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if not loc:  # a model-level check already names its variable
        return f"invalid settings: {message}"
    # pydantic's input echo may hold a secret: name the variable, never the value.
    return f"invalid settings: {loc}: {message}"
