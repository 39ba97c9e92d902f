"""posteditor: find and fix the errors machine translation leaves in English text."""

__version__ = "0.1.0"
