"""The worker: one cycle (read, check, write, report), the loop around it, its lease and heartbeat."""
