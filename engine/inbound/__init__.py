"""The inbound pipeline: store each message once, understand it, act on it.

`inbox` stores and routes, `classify` reads the words as one intent, `router` looks the intent up
in its table of handlers, and the handler modules act: `consent` (STOP, START, HELP, FORGET, the
crisis hold), `profile` (TZ, EMAIL, SMS), `progress` (PAUSE, RESUME, DONE, APPLIED, NEXT, HIRED,
the journal) and `rejection` (REJECTED). `upcoming` words what comes next for them all."""
