"""Documentation tools: the lecture's generator (experiments that write its tables and figures)."""
