"""Renderers: turn the render-neutral deck model (deckgen.model.deck) into files.

Each renderer lives in its own module and is imported where used, so importing this package
pulls in neither python-pptx nor any other heavy library.
"""
