"""The `tenure` command: parse, make one service call, print."""
