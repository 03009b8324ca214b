"""Storage: the engine and sessions (db), the tables (models, console_models), people's words
sealed at rest (sealing, journal_keys), schema versions (migrate) and the write queue."""
