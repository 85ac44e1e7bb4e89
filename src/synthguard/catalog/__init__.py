"""Dataset catalogue: content digests, registration and lookup of synthetic dataset versions."""
