"""watermark schemes and releases

Revision ID: 0003_release
Revises: 0002
Create Date: 2026-11-24 11:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_release"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watermark_schemes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "version_id", "scheme_id"),
    )
    with op.batch_alter_table("watermark_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watermark_schemes_tenant"), ["tenant"], unique=False)
        batch_op.create_index(batch_op.f("ix_watermark_schemes_version_id"), ["version_id"], unique=False)

    op.create_table(
        "releases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("released_version_id", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.String(length=256), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("out_path", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("scheme_ref", sa.Integer(), nullable=False),
        sa.Column("watermark", sa.JSON(), nullable=False),
        sa.Column("utility", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"]),
        sa.ForeignKeyConstraint(["released_version_id"], ["dataset_versions.id"]),
        sa.ForeignKeyConstraint(["scheme_ref"], ["watermark_schemes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_tenant"), ["tenant"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_version_id"), ["version_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_recipient"), ["recipient"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_scheme_ref"), ["scheme_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for column in ("status", "scheme_ref", "recipient", "version_id", "tenant"):
            batch_op.drop_index(batch_op.f(f"ix_releases_{column}"))
    op.drop_table("releases")
    with op.batch_alter_table("watermark_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watermark_schemes_version_id"))
        batch_op.drop_index(batch_op.f("ix_watermark_schemes_tenant"))
    op.drop_table("watermark_schemes")
