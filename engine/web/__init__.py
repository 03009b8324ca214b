"""The HTTP edge: the Starlette app, provider webhooks, request parsing and admission control."""
