"""Rolling a rack's API key (the stack's `Password`) by the Console, the rack, or CloudFormation.

- `roll.py`: `RackKeyRoll`, the roll itself, and the table that picks its route.
- `console.py`, `rack.py`, `cloudformation.py`: one module per route, each with how the
  route starts a roll and how it resumes one the journal left unfinished.
- `base.py`: what the routes share (the route's interface; for the two routes where keyroll
  makes the key, storing it first, settling the roll and resuming it).
"""

from tui.core.rolls.rack_key.roll import RackKeyRoll

__all__ = ["RackKeyRoll"]
