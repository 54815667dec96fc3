"""TEST ONLY signature corpus: generated packages and the generator (see generate.py)."""
