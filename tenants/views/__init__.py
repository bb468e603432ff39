"""Console pages for teams, members, namespaces, invitations and API tokens."""
