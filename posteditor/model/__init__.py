"""The trained corrector: the base LM with its adapter, copy-aware decoding, versions."""
