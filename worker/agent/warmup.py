"""Load the slow parts of the agent (classifier, policy index) before the first ticket arrives."""

from __future__ import annotations

import logging
import time

from flask import Flask

from portal.config import get_settings

logger = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Train/load the classifier and open the policy index; failures are logged, the first job retries."""
    started = time.perf_counter()
    try:
        with app.app_context():
            from worker.agent import nlu
            from worker.agent.backends import get_backend
            from worker.agent.retrieval import load_index

            nlu.warm_up()  # loads the classifier from the machine cache (trains and caches it once)
            agent = get_settings(app).agent
            get_backend(agent).triage("warm up")
            load_index(agent, app.instance_path)
    except Exception:  # the worker must start anyway; a ticket will surface the problem with a retry
        logger.exception("agent warm-up failed")
        return
    logger.info("agent warmed up in %.1fs", time.perf_counter() - started)
