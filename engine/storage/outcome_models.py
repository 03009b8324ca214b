"""The tables of what helps, measured: the steps of each person's search and the arm of a plan's
experiment each run was given (read by `onward stats`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from onward.engine.storage.declarative import Base, UTCDateTime


class OutcomeEvent(Base):
    """One step of a person's search, with its time: applied (count), interview, offer, hired.

    Written when the person texts it or a coach sets it; read by `onward stats`.
    """

    __tablename__ = "outcome_events"
    __table_args__ = (Index("ix_outcome_events_person_kind", "person_id", "kind", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # applied|interview|offer|hired
    count: Mapped[int] = mapped_column(Integer, default=1)
    company: Mapped[str] = mapped_column(String(120), default="")
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())  # an interview's time
    # The step that brings the prep nudge for this interview (no foreign key: a step goes only
    # with its run, and ids are never reused).
    prep_step_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="person")  # person|coach|migrated
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExperimentArm(Base):
    """The arm of a plan's experiment a run was given (stable: a hash of person and experiment)."""

    __tablename__ = "experiment_arms"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    experiment: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
