"""The foundation every layer uses and that uses nothing of keyroll's: `Secret`, the error
types and exit statuses, the rack's key rules, and the rack-status rule the sandbox and the
clients share."""
