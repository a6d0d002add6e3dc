"""Operator commands of data protection that span the services: verify every audit chain, and
export what every service holds about one record (subject access)."""
