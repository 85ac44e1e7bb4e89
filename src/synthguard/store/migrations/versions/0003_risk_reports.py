"""risk reports

Revision ID: 0003_risk
Revises: 0002
Create Date: 2026-11-24 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_risk"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("risk_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_reports_tenant"), ["tenant"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_reports_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_reports_version_id"))
        batch_op.drop_index(batch_op.f("ix_risk_reports_tenant"))
    op.drop_table("risk_reports")
