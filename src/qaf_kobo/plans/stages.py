"""The implementation stages of a tracked action (seed 000's tracker), as keys; their names are the report wording's."""

STAGES = ("not_started", "underway", "completed", "cancelled")
CLOSED_STAGES = ("completed", "cancelled")
