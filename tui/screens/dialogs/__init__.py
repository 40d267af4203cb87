"""The dashboard's dialogs: one modal screen each, re-exported here."""

from tui.screens.dialogs.confirm import ConfirmDialog
from tui.screens.dialogs.instance_key import InstanceKeyRequest, InstanceKeyrollDialog
from tui.screens.dialogs.key_pairs import KeyPairsDialog
from tui.screens.dialogs.key_reveal import KeyRevealDialog
from tui.screens.dialogs.paste_key import PasteKeyDialog
from tui.screens.dialogs.rack_key import RackKeyRequest, RackKeyRollDialog

__all__ = [
    "ConfirmDialog",
    "InstanceKeyRequest",
    "InstanceKeyrollDialog",
    "KeyPairsDialog",
    "KeyRevealDialog",
    "PasteKeyDialog",
    "RackKeyRequest",
    "RackKeyRollDialog",
]
