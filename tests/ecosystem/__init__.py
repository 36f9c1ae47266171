"""Tests of what surrounds the runtime: the test client, the docs, the example in a browser."""
