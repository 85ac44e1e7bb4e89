"""The end-to-end demo (``make demo``) and its deterministic sample data."""
