"""A fault injected during the soak, and the window in which it may fail requests."""

from dataclasses import dataclass

RECOVERY = 5.0  # seconds after a fault's end during which its aftermath is still excused


@dataclass
class Fault:
    """What was done (``name``, ``note``), from ``start`` until the stack recovered (``end``)."""

    name: str
    start: float
    end: float = 0.0
    note: str = ""

    def window(self) -> tuple[float, float]:
        return self.start, self.end + RECOVERY
