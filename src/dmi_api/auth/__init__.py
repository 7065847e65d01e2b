"""Authentication and authorization: scopes, principals, signing keys, token issuance."""
