"""job_leases, fsm_states, user_actions — SPEC §2.27, §2.32, §2.33."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade import clock
from sigmatrade.db.base import Base, BigIntPK, enum_check, pk, updated_at
from sigmatrade.db.types import UTCDateTime
from sigmatrade.domain.enums import JobStatus


class JobLease(Base):
    __tablename__ = "job_leases"
    __table_args__ = (enum_check("last_status", JobStatus, nullable=True),)

    job_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_status: Mapped[str | None] = mapped_column(String(8))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    run_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FsmState(Base):
    __tablename__ = "fsm_states"
    __table_args__ = (Index("ix_fsm_states_updated", "updated_at"),)

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = updated_at()


class UserAction(Base):
    __tablename__ = "user_actions"

    id: Mapped[int] = pk()
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now, index=True)
