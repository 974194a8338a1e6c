"""The events of email: what happened to each message, on the customer's timeline."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register

MAIL_SENT = EventKind("mail.sent", "A message was accepted by the mail server (or the outbox).")
MAIL_DEFERRED = EventKind("mail.deferred", "A message waits: the cap is full or quiet hours.")
MAIL_EXPIRED = EventKind("mail.expired", "A message was not sent before its valid-until.")
MAIL_SUPPRESSED = EventKind("mail.suppressed", "A message was not sent: no consent or bounced.")
MAIL_FAILED = EventKind("mail.failed", "The mail server refused a message.")
MAIL_UNKNOWN = EventKind(
    "mail.unknown", "A message was handed to the server by a sender that died before recording it."
)
MAIL_OPENED = EventKind("mail.opened", "A tracked message was opened.")
MAIL_CLICKED = EventKind("mail.clicked", "A link in a tracked message was followed.")
MAIL_BOUNCED = EventKind("mail.bounced", "A bounce came back for a customer's address.")
MAIL_COMPLAINED = EventKind("mail.complained", "A customer marked a message as spam.")

# A broadcast's own moments (subject "broadcast", no customer): each message's fate is a mail.*
# event of its customer's, as for any other message.
BROADCAST_STARTED = EventKind("broadcast.started", "A broadcast queued its audience's messages.")
BROADCAST_PAUSED = EventKind("broadcast.paused", "A broadcast was paused: its unsent mail held.")
BROADCAST_RESUMED = EventKind("broadcast.resumed", "A paused broadcast's held mail was released.")
BROADCAST_CANCELLED = EventKind(
    "broadcast.cancelled", "A broadcast was cancelled: its unsent mail expired."
)
BROADCAST_DONE = EventKind("broadcast.done", "Every message of a broadcast reached its end.")

event_kinds_register(
    MAIL_SENT,
    MAIL_DEFERRED,
    MAIL_EXPIRED,
    MAIL_SUPPRESSED,
    MAIL_FAILED,
    MAIL_UNKNOWN,
    MAIL_OPENED,
    MAIL_CLICKED,
    MAIL_BOUNCED,
    MAIL_COMPLAINED,
    BROADCAST_STARTED,
    BROADCAST_PAUSED,
    BROADCAST_RESUMED,
    BROADCAST_CANCELLED,
    BROADCAST_DONE,
)
