"""Rolling a rack's instance SSH key (the stack's `Key`): by the rack, or by CloudFormation.

- `roll.py`: `InstanceKeyRoll`, the roll itself, and the table that picks its route.
- `rack.py`, `cloudformation.py`: one module per route, each with how the route requests
  the update, judges it, and resumes a roll the journal left unfinished.
- `plan.py`: the plan the journal keeps (key pairs, instances), read back on resume.
- `base.py`: what both routes share: the route's interface, the pre-flight, the watch of
  batches and instances, the outcome, and the resume of a roll from its journal plan.
"""

from tui.core.rolls.instance_key.base import SSH_KEY_MISMATCH
from tui.core.rolls.instance_key.roll import InstanceKeyRoll

__all__ = ["SSH_KEY_MISMATCH", "InstanceKeyRoll"]
