"""smartspec.implementation (see the developers' guide for its element)."""
