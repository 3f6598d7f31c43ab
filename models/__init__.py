"""Forma's domain math, pure: DataFrames and arrays in, DataFrames and arrays out — no
database, no HTTP, no Celery (that is what makes it testable and fast).

* :mod:`models.vocabulary` — the shared words: exercise kinds, set types, the e1RM rep
  range and tie rule, the training week, an athlete's local day.
* :mod:`models.analytics` — the engine deriving every analytics table (e1RM, PRs, load
  series, summaries, balance, habits, progress).
* :mod:`models.sessions` — one session: recorded streams and training load.
* :mod:`models.coaching` — the coach's learned models.
"""
