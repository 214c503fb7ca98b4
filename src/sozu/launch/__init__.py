"""`sozu start`: the whole platform on one machine (child processes and demo data)."""
