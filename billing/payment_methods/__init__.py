"""Payment methods (決済用カード): registration through the payment provider, the default card, expiry reminders."""
