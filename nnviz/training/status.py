"""The Runner's one-line status: its state, the step, and what to call next."""

from __future__ import annotations

from nnviz.training.trainer import Trainer


def status_line(
    state: str, trainer: Trainer, rate: float, pending: int, cap: str, error: BaseException | None
) -> str:
    """A message for a label, e.g. "paused at step 40 (advancing 2 more)"."""
    step = trainer.step_count
    if state == "running":
        return f"running: step {step}, epoch {trainer.epoch}, {rate:.0f} steps/s"
    if state == "paused":
        queued = f" (advancing {pending} more)" if pending else ""
        return f"paused at step {step}{queued}"
    if state == "diverged":
        message = trainer.divergence_message
        if message.lower().startswith("diverged"):
            return "d" + message[1:]
        return f"diverged at step {trainer.diverged}: {message}"
    if state == "capped":
        return f"stopped by cap: {cap} reached at step {step}; start() runs as long again"
    if state == "error":
        text = (str(error).splitlines() or [""])[0]
        return f"error: {type(error).__name__}: {text} (see runner.error; reset() or start())"
    if state == "stopped":
        return f"stopped at step {step}; start() continues"
    return f"idle at step {step}; start() trains"
