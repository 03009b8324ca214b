"""Contract tests: each channel driven through its real SDK against a local fake provider."""
