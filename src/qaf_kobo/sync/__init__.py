"""Submissions into the store: from a KoboToolbox server (``kobo``) and from files saved by hand (``files``)."""
