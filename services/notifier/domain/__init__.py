"""The notifier's pure rules: who is told about a match, what they are told, when it is overdue,
and how webhooks are signed. No I/O."""
