"""Datasets for analysts: pseudonymised, ML-ready tables streamed as Parquet, Arrow or CSV,
frozen snapshots of them, and the read-only SQL views beside them."""
