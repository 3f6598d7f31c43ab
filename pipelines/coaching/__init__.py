"""The coach's orchestration helpers that need more than :mod:`models.coaching` may
import: the synthetic hold-out population (:mod:`.synthetic`) made by the demo
generator."""
