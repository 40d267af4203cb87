"""What both front ends share above `core`: the workspace a command or the dashboard works
on, the roll targets drawn from it, switching the current rack, and relinking a rack."""
