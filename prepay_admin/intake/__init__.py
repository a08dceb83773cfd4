"""Data intake: the files bureau staff already have (.xlsx, .csv), read strictly into the facts the rules judge."""
