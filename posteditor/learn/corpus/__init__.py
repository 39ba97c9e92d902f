"""The training pairs, by source, and the recipe that mixes them."""
