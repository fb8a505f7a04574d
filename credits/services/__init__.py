"""Every write of the credits programme: pledges.py (pledges and contributions) and
benefits.py (the benefits checklist and its reminders)."""
