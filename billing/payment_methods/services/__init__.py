"""State changes for payment methods, one module per part:

- ``registration``: registration through the payment provider (3-D Secure 2.0),
  the state machine on ``PaymentRegistration``, its limits and its expiry;
- ``methods``: the member's stored cards: the default, removal, and the demo
  data's cards;
- ``reminders``: the e-mail before a card expires.
"""
