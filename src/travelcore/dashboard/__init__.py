"""The parent dashboard (seed 003 section 3.1): one read of everything a parent's home
screen shows."""

from travelcore.dashboard.parent import (
    ChildSummary,
    DashboardUnitOfWork,
    ParentDashboard,
    ParentDashboardQuery,
    UpcomingBooking,
)

__all__ = [
    "ChildSummary",
    "DashboardUnitOfWork",
    "ParentDashboard",
    "ParentDashboardQuery",
    "UpcomingBooking",
]
