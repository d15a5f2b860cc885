"""An independent reference model of bookings, credits and the waitlist, in plain dicts.

It predicts each command's outcome (the new state, or the error the services must raise)
without sharing any code with the services; the booking state machine runs both side by
side and requires them to agree after every step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from travelcore.booking import AgeNotEligible, AlreadyBooked, AlreadyOnWaitlist, OfferExpired
from travelcore.booking.rules import SeatsAvailable
from travelcore.catalog import SessionNotBookable
from travelcore.kernel import (
    CapacityExceeded,
    InsufficientCredits,
    InvalidTransition,
    RuleViolation,
)
from travelcore.ledger import HoldExpired, RefundExceedsDebit

WINDOW = timedelta(hours=48)
OFFER = timedelta(hours=4)
HOLD_AFTER_END = timedelta(hours=24)
LIVE = ("pending", "confirmed")


class Refused(Exception):
    """The model's prediction that a command fails with ``error`` (a travelcore error
    class). ``commit`` says the sweep done before the failure still commits."""

    def __init__(self, error: type[Exception], commit: bool = False) -> None:
        super().__init__(error.__name__)
        self.error = error
        self.commit = commit


class Model:
    """State: ``sessions``, ``bookings``, ``entries`` (waitlist) and ``wallets`` (per
    parent ``balance`` and ``held``), all dicts keyed by the real ids."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.sessions: dict[Any, dict[str, Any]] = {}
        self.bookings: dict[Any, dict[str, Any]] = {}
        self.entries: dict[Any, dict[str, Any]] = {}
        self.wallets: dict[Any, dict[str, int]] = {}
        self.ages: dict[Any, int] = {}
        self.parents: dict[Any, Any] = {}

    # -- derived ---------------------------------------------------------------------------

    def offered(self, sid: Any) -> list[Any]:
        return [
            e for e, v in self.entries.items() if v["session"] == sid and v["status"] == "offered"
        ]

    def seated(self, sid: Any) -> int:
        return sum(
            1
            for b in self.bookings.values()
            if b["session"] == sid
            and b["status"] in ("pending", "confirmed", "completed", "no_show")
        )

    def free(self, sid: Any) -> int:
        capacity: int = self.sessions[sid]["capacity"]
        return capacity - self.seated(sid) - len(self.offered(sid))

    def queue(self, sid: Any) -> list[Any]:
        items = [(v["position"], e) for e, v in self.entries.items() if v["session"] == sid]
        return [e for _, e in sorted(items)]

    def available(self, parent: Any) -> int:
        wallet = self.wallets[parent]
        return wallet["balance"] - wallet["held"]

    def _now(self) -> datetime:
        assert self.now is not None
        return self.now

    # -- the waitlist sweep ----------------------------------------------------------------

    def promote(self, sid: Any) -> tuple[list[Any], list[Any]]:
        session = self.sessions[sid]
        if session["cancelled"]:
            return [], []
        now = self._now()
        expired = [e for e in self.offered(sid) if now >= self.entries[e]["expires"]]
        for e in expired:
            self.entries[e].update(status="removed", reason="spot_expired")
        if session["completed"] or now >= session["start"]:
            return expired, []
        offered = []
        for e in self.queue(sid):
            if self.free(sid) <= 0:
                break
            if self.entries[e]["status"] == "waiting":
                self.entries[e].update(status="offered", expires=now + OFFER, offered_at=now)
                offered.append(e)
        return expired, offered

    # -- commands --------------------------------------------------------------------------

    def _require_open(self, sid: Any) -> None:
        session = self.sessions[sid]
        if session["cancelled"] or session["completed"] or self._now() >= session["start"]:
            raise Refused(SessionNotBookable)

    def _eligible(self, sid: Any, child: Any) -> None:
        if not self.sessions[sid]["ages"][0] <= self.ages[child] <= self.sessions[sid]["ages"][1]:
            raise Refused(AgeNotEligible)
        if any(
            b["session"] == sid and b["child"] == child and b["status"] in LIVE
            for b in self.bookings.values()
        ):
            raise Refused(AlreadyBooked)

    def book(self, sid: Any, children: list[Any], parent: Any, ids: list[Any]) -> None:
        self.promote(sid)
        self._require_open(sid)
        for child in children:
            self._eligible(sid, child)
            if any(
                v["session"] == sid and v["child"] == child and v["status"] != "removed"
                for v in self.entries.values()
            ):
                raise Refused(AlreadyOnWaitlist)
        if len(children) > self.free(sid):
            raise Refused(CapacityExceeded)
        credits = self.sessions[sid]["credits"]
        if parent not in self.wallets or credits * len(children) > self.available(parent):
            raise Refused(InsufficientCredits)
        for child, bid in zip(children, ids, strict=True):
            self._add_booking(bid, sid, child, parent)

    def _add_booking(self, bid: Any, sid: Any, child: Any, parent: Any) -> None:
        credits = self.sessions[sid]["credits"]
        self.wallets[parent]["held"] += credits
        self.bookings[bid] = {
            "session": sid,
            "child": child,
            "parent": parent,
            "status": "pending",
            "credits": credits,
            "held": True,
            "debited": 0,
            "refunded": 0,
            "hold_expires": self.sessions[sid]["end"] + HOLD_AFTER_END,
        }

    def _move(self, bid: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        booking = self.bookings[bid]
        if booking["status"] not in allowed:
            raise Refused(InvalidTransition)
        return booking

    def _capture(self, booking: dict[str, Any]) -> None:
        if self._now() >= booking["hold_expires"]:
            raise Refused(HoldExpired)
        wallet = self.wallets[booking["parent"]]
        wallet["held"] -= booking["credits"]
        wallet["balance"] -= booking["credits"]
        booking.update(held=False, debited=booking["credits"])

    def confirm(self, bid: Any) -> None:
        booking = self._move(bid, ("pending",))
        self._capture(booking)
        booking["status"] = "confirmed"

    def cancel(self, bid: Any, by_venue: bool, promote: bool = True) -> bool:
        """Returns whether the cancellation was refund-eligible."""
        booking = self._move(bid, LIVE)
        session = self.sessions[booking["session"]]
        eligible = by_venue or session["start"] - self._now() >= WINDOW
        wallet = self.wallets[booking["parent"]]
        if booking["status"] == "pending":
            if eligible:
                wallet["held"] -= booking["credits"]
                booking["held"] = False
            else:
                self._capture(booking)
        elif eligible:
            wallet["balance"] += booking["debited"] - booking["refunded"]
            booking["refunded"] = booking["debited"]
        booking["status"] = "cancelled_venue" if by_venue else "cancelled_parent"
        booking["eligible"] = eligible
        if promote:
            self.promote(booking["session"])
        return eligible

    def attend(self, bid: Any, attended: bool) -> None:
        booking = self._move(bid, ("confirmed",))
        if self._now() < self.sessions[booking["session"]]["start"]:
            raise Refused(RuleViolation)
        booking["status"] = "completed" if attended else "no_show"

    def partial_refund(self, bid: Any, credits: int) -> None:
        booking = self.bookings[bid]
        if booking["status"] not in ("confirmed", "completed"):
            raise Refused(RuleViolation)
        if credits > booking["debited"] - booking["refunded"]:
            raise Refused(RefundExceedsDebit)
        booking["refunded"] += credits
        self.wallets[booking["parent"]]["balance"] += credits

    def cancel_session(self, sid: Any) -> None:
        session = self.sessions[sid]
        if session["cancelled"] or session["completed"]:
            raise Refused(InvalidTransition)
        session["cancelled"] = True
        for bid, booking in self.bookings.items():
            if booking["session"] == sid and booking["status"] in LIVE:
                self.cancel(bid, by_venue=True, promote=False)
        for entry in self.entries.values():
            if entry["session"] == sid and entry["status"] != "removed":
                entry.update(status="removed", reason="session_cancelled")

    def complete_session(self, sid: Any) -> None:
        session = self.sessions[sid]
        if session["cancelled"] or session["completed"]:
            raise Refused(InvalidTransition)
        if self._now() < session["end"]:
            raise Refused(RuleViolation)
        session["completed"] = True
        for booking in self.bookings.values():
            if booking["session"] == sid and booking["status"] == "confirmed":
                booking["status"] = "completed"

    def join(self, sid: Any, child: Any, parent: Any, eid: Any) -> None:
        self.promote(sid)
        self._require_open(sid)
        self._eligible(sid, child)
        if any(v["session"] == sid and v["child"] == child for v in self.entries.values()):
            raise Refused(AlreadyOnWaitlist)
        if self.free(sid) > 0:
            raise Refused(SeatsAvailable)
        position = 1 + max(
            (v["position"] for v in self.entries.values() if v["session"] == sid), default=0
        )
        self.entries[eid] = {
            "session": sid,
            "child": child,
            "parent": parent,
            "position": position,
            "status": "waiting",
            "reason": None,
            "expires": None,
            "offered_at": None,
        }

    def _live_offer(self, eid: Any) -> dict[str, Any]:
        entry = self.entries[eid]
        expired, _ = self.promote(entry["session"])
        if eid in expired:
            raise Refused(OfferExpired, commit=True)
        if entry["status"] != "offered":
            raise Refused(InvalidTransition)
        return entry

    def accept(self, eid: Any, bid: Any) -> None:
        entry = self._live_offer(eid)
        sid = entry["session"]
        self._require_open(sid)
        self._eligible(sid, entry["child"])
        if self.sessions[sid]["credits"] > self.available(entry["parent"]):
            raise Refused(InsufficientCredits)
        entry.update(status="removed", reason="spot_accepted")
        self._add_booking(bid, sid, entry["child"], entry["parent"])

    def decline(self, eid: Any) -> None:
        entry = self._live_offer(eid)
        entry.update(status="removed", reason="spot_declined")
        self.promote(entry["session"])

    def leave(self, eid: Any) -> None:
        entry = self.entries[eid]
        if entry["status"] == "removed":
            raise Refused(InvalidTransition)
        offered = entry["status"] == "offered"
        entry.update(status="removed", reason="user_removed")
        if offered:
            self.promote(entry["session"])
