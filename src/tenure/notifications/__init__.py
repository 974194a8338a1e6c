"""What asks for a team member's attention: in-app notifications (mentions, tasks given to them,
their customers' health turning red, their renewals coming), the daily digest of the unread
ones by email, and "My day", a success manager's ranked worklist."""
