"""What the checks produce for people: post-mortem documents, weekly reports, mail, the snapshot."""
