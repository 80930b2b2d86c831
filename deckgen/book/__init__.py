"""The book: deckgen's input tables, how they are read, and how they are checked."""
