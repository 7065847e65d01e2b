"""Per-client rate limits: weighted costs, a quota shared by every worker, and the headers."""
