"""The `status` a simulated rack's `GET /system` shows for its CloudFormation stack's status,
as a real rack maps it (`convox/rack` `provider/aws/helpers.go` `humanStatus`)."""

from __future__ import annotations

STACK_STATUS_TO_RACK_STATUS: dict[str, str] = {
    "": "new",
    "CREATE_IN_PROGRESS": "creating",
    "CREATE_COMPLETE": "running",
    "UPDATE_COMPLETE": "running",
    "UPDATE_ROLLBACK_COMPLETE": "running",
    "DELETE_FAILED": "running",
    "UPDATE_IN_PROGRESS": "updating",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "updating",
    "ROLLBACK_IN_PROGRESS": "rollback",
    "UPDATE_ROLLBACK_IN_PROGRESS": "rollback",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "rollback",
    "ROLLBACK_COMPLETE": "failed",
    "UPDATE_ROLLBACK_FAILED": "failed",
    "DELETE_IN_PROGRESS": "deleting",
}


def rack_status_for(stack_status: str) -> str:
    """The `status` a rack's `GET /system` shows for a CloudFormation stack status."""
    return STACK_STATUS_TO_RACK_STATUS.get(stack_status, "unknown")
