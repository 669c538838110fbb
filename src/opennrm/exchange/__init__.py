"""Transnational referral between deployments: keys, partners, packages, receipts."""
