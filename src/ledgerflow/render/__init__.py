"""The render stage: statements per payer (HTML and Excel), the index, the manifest."""
