"""Domain services: keyword-only functions that flush and never commit."""
