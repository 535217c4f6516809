"""smartspec.discovery (see the developers' guide for its element)."""
