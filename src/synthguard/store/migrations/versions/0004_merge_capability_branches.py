"""Merge the capability branches (incidents, releases, risk reports) back into one head.

Revision ID: 0004
Revises: 0003_incident, 0003_release, 0003_risk
Create Date: 2026-11-24
"""

revision = "0004"
down_revision = ("0003_incident", "0003_release", "0003_risk")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the three branches into one history."""


def downgrade() -> None:
    """Nothing to change: going down re-opens the three branches."""
