"""Writing results: safe file names, atomic writes, manifests."""
