"""Next-session prescriptions served to athletes, and their feedback."""
