"""The coach: next-session forecasts and prescriptions learned from everyone's training.

Pure like the rest of :mod:`models`: DataFrames in, DataFrames out. Features
(:mod:`.features`), the estimator (:mod:`.estimator`), baselines and evaluation
(:mod:`.evaluation`), prescriptions (:mod:`.prescription`), cold-start rules
(:mod:`.rules`), scoring (:mod:`.scoring`) and the artifact (:mod:`.artifact`).
"""

#: The models Forma trains and serves (the registry knows no other name).
MODEL_NAMES: tuple[str, ...] = ("next_e1rm",)
