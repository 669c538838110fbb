"""SQLite with a fair queue for writers: see :mod:`opennrm.core.db_sqlite.base`."""
