"""Background-job plumbing on the web side: `queue` enqueues by dotted path (RQ, or the in-process pool
without Redis); `deferred` keeps jobs in the database while Redis is down. The jobs live in worker/."""
