"""A channel beyond the open tab: a small class that stages rows and sends one of them.

At publish, `stage` writes one delivery row per recipient in the publish's transaction,
only where the policy let the channel through, the type's escalation chain has a step on
it (notifications/escalation.py) and the recipient can be reached (`reachable`: a push
subscription, an email address). Once the publish commits the rows due now are enqueued;
the others are enqueued for their time, and the sweep enqueues any the queue lost. A
worker claims each row (deliveries.py) and calls `attempt`, which returns once the
message is out, or raises Skip, Retry or Permanent.
"""

from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Delivery, Notification
from ..notifications import escalation
from ..notifications.channels import Channel
from ..notifications.pipeline import after_commit
from ..notifications.policy import Plan
from ..notifications.types import catalog
from ..notifications.validation import NotificationInput
from . import deliveries, queue
from .outcomes import Permanent, Retry, Skip

__all__ = ["Permanent", "QueuedChannel", "Retry", "Skip"]


class QueuedChannel(Channel):
    """A channel whose deliveries a worker makes from the job queue."""

    name = "queued"

    def stage(
        self, session: Session, plan: Plan, by_user: dict[int, int], content: NotificationInput
    ) -> None:
        """Stage a row per recipient the policy and the chain send this way; enqueue them
        once the publish commits."""
        type_ = catalog().get(content.type)
        step = escalation.step_of(self.name, type_.escalation, plan.priority)
        if step is None:
            return
        user_ids = plan.recipients(self.name)
        if step.unless_digest:
            user_ids = [uid for uid in user_ids if plan.prefs_of(uid).digest == "off"]
        if not user_ids:
            return
        user_ids = self.reachable(session, user_ids)
        if not user_ids:
            return
        due = plan.now + escalation.delay(step, escalation.email_delay(type_.email_delay))
        pairs = [(u, by_user[u]) for u in user_ids]
        ids = deliveries.stage(session, self.name, pairs, due)
        recorder = tocsin_state.current().analytics

        def enqueue() -> None:
            # Analytics: "sent" on a queued channel is a delivery row committed (queued);
            # "delivered" is the service accepting it (deliveries.py).
            if recorder is not None:
                recorder.record_many("sent", self.name, content.type, pairs)
            queue.enqueue(ids, due)

        after_commit(session, enqueue)

    def send(self, plan: Plan, by_user: dict[int, int]) -> None:
        """Nothing after the commit but the enqueue `stage` arranged."""

    def reachable(self, session: Session, user_ids: list[int]) -> list[int]:
        """Return those of `user_ids` this channel can reach (one query for all)."""
        return user_ids

    def attempt(self, session: Session, delivery: Delivery, notification: Notification) -> None:
        """Send one delivery; return once it is out, or raise Skip, Retry or Permanent."""
        raise NotImplementedError
