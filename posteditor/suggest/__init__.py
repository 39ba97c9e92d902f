"""Suggesters: the contract every one of them meets, and those that need no model."""
