"""Pure security primitives: JWT signing and verification, signing keys, client secrets."""
