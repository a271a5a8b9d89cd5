"""A live, read-only LDAPv3 view of the directory (protocol layer)."""
