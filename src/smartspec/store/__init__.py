"""smartspec.store (see the developers' guide for its element)."""
