"""Referral of a person to a service in the directory: the "R" of the NRM."""
