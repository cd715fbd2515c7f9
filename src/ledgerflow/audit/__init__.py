"""The auditor's tools: verify a report folder, trace a statement line to its cell, and see
what changed between two runs or two periods."""
