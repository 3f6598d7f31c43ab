"""Synthetic demo athletes: a pure population generator, its PostgreSQL writer and ``forma demo``.

The generator follows ``research/sports-science.md`` §7 (every draw cites its row);
the truth it hides (true e1RM, fitness, fatigue) is returned beside the tables so that
tests and coaching models can check cause and effect.
"""
