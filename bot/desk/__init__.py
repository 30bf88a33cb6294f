"""The help desk's rules: tickets, SLA deadlines, escalation, notices, agent relay and ratings."""
