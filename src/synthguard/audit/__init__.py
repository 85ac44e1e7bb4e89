"""The tamper-evident audit log: RFC 9162 Merkle tree, signed checkpoints, proofs, verifier, SIEM exporters."""
