"""Fine-tuning on the editor's corrections, behind a gate, in its phases."""
