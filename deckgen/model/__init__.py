"""The render-neutral deck model: what goes on each slide, never how a backend draws it."""
