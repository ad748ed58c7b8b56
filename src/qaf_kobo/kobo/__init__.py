"""KoboToolbox: the API client, form deployment, paged submission reads and the token (the compatible server is in
``qaf_kobo.devserver``)."""
