"""The outbound pipeline: claim due steps with a lease, decide with the guards, send, record.

`dispatcher` runs a tick, `claims` holds its SQL, `guards` decide, `record` and `outcomes` write
what the provider said, `retry` and `pacing` say when to try again, `owed_replies` sends the
immediate replies that could not ride in a webhook's answer."""
