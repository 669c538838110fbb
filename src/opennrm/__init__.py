"""OpenNRM."""
