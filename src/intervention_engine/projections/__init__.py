"""Read models folded from the store's notification log."""
