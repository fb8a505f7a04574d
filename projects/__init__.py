"""Projects: open-source projects apply to the ecosystem, and move on to candidate (a TAC
voting member sponsors them) and foundation-hosted (the TAC approves by two thirds of all its
voting members). The public landscape is generated from these records.

Where things live:
- models/projects.py: Project (the pathway's status and ALLOWED_TRANSITIONS, the application's
  fields and criteria evidence, the landscape2 fields), ProjectRepository (one project per
  repository, by normalized URL), ProjectMaintainer, MaintainerInvitation.
- models/catalogue.py: Tag. models/pathway.py: EcosystemDecision (the working group's vote),
  Sponsorship, SponsorshipRequest. models/tac.py: TacMember (the roster), TacVote, Ballot.
- selectors.py: `voting_members(at)` (a Premier member's representative votes only while
  that membership is active), maintainers and the projects a person may see.
- statuses.py: a project's state, timeline and criteria in the maintainers' words.
- spdx.py: licence identifiers, from the list vendored in data/spdx/.
- services/: every write. application.py (drafts, submission, resubmission, maintainer
  invitations), review.py (review, changes requested, the working group's decision),
  sponsorship.py (a request to a TAC member, sponsoring), votes.py (open, vote, close, the
  beat's closing and reminders), hosting.py (the onboarding checklist, archiving), tac.py
  (the roster). Lock order: project, repositories, vote, ballots.
- tasks.py: the beat jobs (votes closed at their date, reminders two days before).
- landscape.py (export), landscape_file.py, landscape_import.py, landscape_logos.py and
  management/commands/import_landscape.py: the landscape2 file out and in; api.py,
  views.py and views_landscape.py: /api/projects.json and the pages; demo.py and
  demo_scale.py: seed_demo's real landscape and --projects N.
- views_apply.py and forms.py: the application at /projects/apply/ (drafts at
  /projects/apply/<pk>/), the maintainer invitation's link; views_tac.py: the TAC voting
  members' queue, sponsorship and ballot at /projects/tac/; receivers.py: "Your projects" and
  the TAC's waiting votes on /dashboard/ (the kernel's panels.person_sections).
- E-mails: templates/projects/emails/.
"""
