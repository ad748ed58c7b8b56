"""Submissions into the store: from a KoboToolbox server (``kobo``), from ODK Central (``central``), and from
files saved by hand (``files``, reading exports with ``exports``); what a sync did (``result``) is the same for
both servers (:mod:`qaf_kobo.remote` picks the server's kind)."""
