"""Time: injected clocks, business calendar and SLA arithmetic (pure), scheduled jobs."""
