"""Backup and restore, retention, and the data subject's rights (access and erasure)."""
