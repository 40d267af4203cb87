"""Decisions and state, with no Textual import: models, rolls, journal, keystore, settings."""
