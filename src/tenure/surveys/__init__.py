"""Surveys by email: invitations sent through the mail ledger and a low answer followed up by a
task. Above the mail and tasks apps, below playbooks (whose "survey" step sends one); the
surveys, invitations and answers themselves are the feedback app's."""
