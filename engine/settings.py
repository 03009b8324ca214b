"""Settings from the environment (and a `.env` file), built once by the CLI and passed down."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from onward.engine.crisis import parse_crisis_lines_setting, parse_crisis_phrases_setting
from onward.engine.errors import ConfigError
from onward.engine.phones import InvalidPhoneNumber, normalize_phone
from onward.engine.storage.sealing import parse_keys
from onward.plans import DEFAULT_WINDOW, SendWindow, parse_window


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

    # Parsed once, here: every part of onward gets the value, never the text.
    send_window: Annotated[SendWindow, NoDecode] = Field(DEFAULT_WINDOW, alias="ONWARD_SEND_WINDOW")

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
    claim_batch: int = Field(100, alias="ONWARD_CLAIM_BATCH", ge=1, le=1000)
    crisis_phrases: str | None = Field(None, alias="ONWARD_CRISIS_PHRASES")
    crisis_lines: str | None = Field(None, alias="ONWARD_CRISIS_LINES")
    # Who is told at once, at any hour, when someone needs a human (engine/coaches/escalation.py):
    # comma-separated phone numbers and email addresses; their words only if opted in.
    escalation_sms: str | None = Field(None, alias="ONWARD_ESCALATION_SMS")
    escalation_email: str | None = Field(None, alias="ONWARD_ESCALATION_EMAIL")
    escalation_include_words: bool = Field(False, alias="ONWARD_ESCALATION_INCLUDE_WORDS")
    db_pool_size: int = Field(5, alias="ONWARD_DB_POOL_SIZE", ge=1)
    db_statement_timeout_ms: int = Field(15000, alias="ONWARD_DB_STATEMENT_TIMEOUT_MS", ge=0)
    # Records: people with no activity this long are erased as FORGET would (0 keeps everyone).
    retention_days: int = Field(730, alias="ONWARD_RETENTION_DAYS", ge=0)
    privacy_policy_url: str | None = Field(None, alias="ONWARD_PRIVACY_POLICY_URL")
    # Keys that seal people's words at rest (sealing.py); unset: the database's own key.
    journal_key: SecretStr | None = Field(None, alias="ONWARD_JOURNAL_KEY")

    @property
    def journal_keys(self) -> tuple[bytes, ...]:
        return parse_keys(self.journal_key.get_secret_value()) if self.journal_key else ()

    @model_validator(mode="before")
    @classmethod
    def _org_name_once(cls, data: Any) -> Any:
        """ONWARD_OPERATOR_NAME, the first round's name for the organisation, still works."""
        if isinstance(data, dict) and "ONWARD_ORG_NAME" not in data:
            old = data.get("ONWARD_OPERATOR_NAME")
            if old:
                data = {**data, "ONWARD_ORG_NAME": old}
        return data

    @field_validator("journal_key")
    @classmethod
    def _journal_keys_readable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())  # one clear line now, not at the first reply
        return value

    # Server limits (README, "Server limits"): a stalled client cannot hold the daemon.
    body_timeout_seconds: float = Field(10.0, alias="ONWARD_BODY_TIMEOUT_SECONDS", gt=0)
    keepalive_seconds: int = Field(5, alias="ONWARD_KEEPALIVE_SECONDS", ge=1)
    max_connections: int = Field(1000, alias="ONWARD_MAX_CONNECTIONS", ge=16)
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

    @field_validator("privacy_policy_url")
    @classmethod
    def _policy_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @field_validator("send_window", mode="before")
    @classmethod
    def _window(cls, value: object) -> object:
        return parse_window(value) if isinstance(value, str) else value

    @field_validator("crisis_lines")
    @classmethod
    def _crisis_lines(cls, value: str | None) -> str | None:
        if value:
            parse_crisis_lines_setting(value)
        return value

    @field_validator("escalation_sms")
    @classmethod
    def _on_call_numbers(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return ",".join(normalize_phone(number) for number in _listed(value)) or None
        except InvalidPhoneNumber as exc:
            raise ValueError(str(exc)) from None

    @field_validator("escalation_email")
    @classmethod
    def _on_call_addresses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for address in _listed(value):
            local, at, domain = address.partition("@")
            if not (local and at and "." in domain) or " " in address:
                raise ValueError(f"not an email address: {address!r}")
        return ",".join(address.lower() for address in _listed(value)) or None

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
    def crisis_phrase_list(self) -> tuple[str, ...]:
        """The default crisis phrases plus ONWARD_CRISIS_PHRASES (it adds, never replaces)."""
        return parse_crisis_phrases_setting(self.crisis_phrases or "")

    @property
    def on_call_numbers(self) -> tuple[str, ...]:
        return _listed(self.escalation_sms or "")

    @property
    def on_call_addresses(self) -> tuple[str, ...]:
        return _listed(self.escalation_email or "")

    @property
    def missed_grace(self) -> timedelta:
        return timedelta(hours=self.missed_grace_hours)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _listed(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.replace(";", ",").split(",") if item.strip())


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
