"""The errors of the channels: a send that failed (for now or for good), a webhook refused, a
channel that cannot be built or found."""

from __future__ import annotations

from datetime import timedelta


class ChannelError(Exception):
    """A channel failed."""

    def __init__(self, message: str | None = None) -> None:
        # The docstring's first line is the default message, so every error reads well bare.
        self.message = message or (type(self).__doc__ or "").strip().splitlines()[0]
        super().__init__(self.message)


class TransientSendError(ChannelError):
    """The provider could not take the message now; try again later."""

    def __init__(self, message: str | None = None, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(ChannelError):
    """The provider refused the message; sending it again will not help."""

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RecipientOptedOut(PermanentSendError):
    """The recipient has opted out with the provider; send nothing more on this medium."""


class InvalidAddress(PermanentSendError):
    """The provider says the address is not one it can send to; do not use it again."""


WEBHOOK_REJECT_STATUSES = frozenset({400, 401, 403, 413, 422})


class SendOutcomeUnknown(ChannelError):
    """The provider may have taken the message: not sent again; its status callback decides."""


class ProviderAuthError(PermanentSendError):
    """The provider refused our credentials; stop using this channel until an operator acts."""


class WebhookRejected(ChannelError):
    """The webhook request was refused."""

    def __init__(self, message: str | None = None, *, status: int = 400) -> None:
        if status not in WEBHOOK_REJECT_STATUSES:
            raise ValueError(
                f"webhook rejection status must be one of {sorted(WEBHOOK_REJECT_STATUSES)}"
            )
        super().__init__(message)
        self.status = status


class ChannelNotConfigured(ChannelError):
    """A setting the channel needs is missing."""

    def __init__(self, setting: str, message: str | None = None) -> None:
        # Names the setting, never its value: values may be secrets.
        default = (type(self).__doc__ or "").strip().splitlines()[0].rstrip(".")
        super().__init__(message or f"{default}: {setting}")
        self.setting = setting


class ChannelUnavailable(ChannelError):
    """The channel cannot be loaded; install what it needs."""


class UnknownChannel(ChannelError, LookupError):
    """No channel is registered under that name."""


class NotAChannel(ChannelError, TypeError):
    """The registered object does not build a channel."""
