"""The text core: edits, documents, files, metrics, a model's metadata. No torch, no Textual."""
