"""Payment gateways: one contract (``base.Gateway``), one implementation per processor, chosen by settings."""
