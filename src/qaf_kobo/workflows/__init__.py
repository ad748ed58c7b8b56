"""What combines the steps for users: the demo and its data, a pipeline run from a config, the translation
round trip."""
