"""The inbound pipeline: store each message once, understand it, act on it.

`inbox` stores and routes, `classify` reads the words as one command, `router` picks the
handler, and the handler modules act: `consent` (STOP, START, FORGET, crisis), `rejection`."""
