"""Provenance: signing keys, in-toto / DSSE attestations, bundles, PROV-JSON and OpenLineage exports."""
