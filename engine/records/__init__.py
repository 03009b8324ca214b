"""Records an operator can answer to: the consent ledger, suppression after erasure, retention,
cohort import, the subject access export, the carrier registration pack and the journal key."""
