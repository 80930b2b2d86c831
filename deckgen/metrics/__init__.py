"""The metrics engine: plain values per account, computed from the book; knows nothing of slides."""
