"""The person's own journal, given back to them (JOURNAL): its entries as they read them, the
emailed copy and the one-time link's page, and every sentence they read, in their language."""
