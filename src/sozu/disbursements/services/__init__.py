"""Domain operations on payouts and batches: the only code that changes their state."""
