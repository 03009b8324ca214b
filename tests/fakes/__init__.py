"""Local fake provider servers that the real SDKs talk to in tests."""
