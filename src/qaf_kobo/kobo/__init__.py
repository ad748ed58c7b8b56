"""KoboToolbox: the API client, form deployment, paged submission reads, the token, and a compatible dev/test server."""
