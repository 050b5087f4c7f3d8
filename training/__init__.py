"""Training the learned part of scoring (run by hand; needs the `train` extra: scikit-learn)."""
