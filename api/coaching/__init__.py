"""The coach's registry: model runs, their feature tables, versions, aliases and events."""
