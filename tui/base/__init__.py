"""The foundation every layer uses and that uses nothing of keyroll's: `Secret`, the error
types and exit statuses, and the rack's key rules."""
