"""Every write of the projects programme: applications (application.py), staff's review and
the working group's decision (review.py), sponsorship (sponsorship.py), the TAC's votes
(votes.py), hosting's onboarding checklist and archiving (hosting.py), the TAC roster
(tac.py).

Locks are taken in one order: the project, its repositories, a vote, its ballots (after the
kernel's organization lock when a service needs it). Status changes go through
foundation.transitions.transition and are audited; e-mails are stored once under their key
and sent after commit."""
