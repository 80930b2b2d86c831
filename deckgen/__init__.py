"""deckgen: QBR material from a customer-success book of accounts."""

__version__ = "0.1.0"
