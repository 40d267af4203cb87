"""Wire clients with no Textual import: the rack API, the Console, AWS."""
