"""Webhooks: outbound safety of deliveries (which URLs and addresses a delivery may reach)."""
