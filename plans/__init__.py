"""Plans: the YAML format, its schema, loader, validator and templates."""
