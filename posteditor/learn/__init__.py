"""Learning: the training corpus, training, calibration, model cards, fine-tuning."""
