"""The import pipeline: detect a file's format, parse it, store its workouts; task, command."""
