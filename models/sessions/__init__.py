"""One training session on its own: cleaning and summarising a recorded activity's
streams (:mod:`~models.sessions.streams`: GPS, heart rate, power, cadence) and the
session's training load (:mod:`~models.sessions.load`: Banister TRIMP, Foster's sRPE,
the combined load of a lifting or cardio session)."""
