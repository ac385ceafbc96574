"""Access control, upstream credentials and TLS (a package, so ``support`` imports work)."""
