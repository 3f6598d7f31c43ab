"""The coach's learned models (to come): point-in-time features built from the same
analytics the API serves (:mod:`models.analytics`), estimators of the next session's
e1RM, prescriptions, and their evaluation against simple baselines on time-split
hold-outs. Pure like the rest of ``models/``: frames and arrays in and out; training
orchestration, the registry and serving live in ``pipelines/`` and ``api/``."""
