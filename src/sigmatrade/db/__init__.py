"""Database: models, exact column types, sessions, migrations."""
