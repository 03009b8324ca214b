"""The human in the loop: staff accounts, coaches holding conversations, the on-call person
told of a crisis, and the audit of every staff action."""
