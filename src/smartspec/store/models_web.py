"""ORM models of the web platform (issue 7): users, memberships and roles, sessions,
invitations, login attempts, workshop sessions and their scores. Shares
:class:`smartspec.store.models.Base`; created by migration 0004."""

from __future__ import annotations
