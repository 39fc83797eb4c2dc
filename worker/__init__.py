"""Background work: RQ jobs and the support agent. Imports portal and tools; portal never imports this."""
