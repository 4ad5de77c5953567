"""The rulebook and the versioned policies (the only package that knows the regime's rules)."""
