"""The outbound pipeline: claim due steps with a lease, decide with the guards, send, record.

`dispatcher` runs a tick, `claims` and `batch_writes` hold its SQL (`in_doubt` that of sends a
dead dispatcher left in doubt), `guards` decide (a pure `decide()` over what the claim read, then
applied), `record` and `outcomes` write what the provider said, `retry` and `pacing` say when to
try again, `reconcile` settles sends left in doubt by asking the provider, `owed_replies` sends
the immediate replies that could not ride in a webhook's answer, `values` holds what they pass
each other, and `batch_sql` their many-row statements. Delivery rows themselves are created and
moved by the flat `engine/deliveries.py`."""
