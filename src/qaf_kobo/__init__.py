"""qaf-kobo: the Case Management Quality Assessment Framework (QAF) on KoboToolbox / ODK."""

__version__ = "0.1.0"
