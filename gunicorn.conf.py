"""gunicorn settings read by `gunicorn -c gunicorn.conf.py` (Procfile): only what the code needs.

Workers, threads and the bind address stay on the command line (Procfile) so a platform can set them.
"""

import os


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, so its live values stop counting (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
