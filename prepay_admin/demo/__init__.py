"""The demo pooling region: generated deterministically from a seed, at any size."""
