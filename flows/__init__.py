"""Flow definitions (data only): the conversations opensource-check runs, as YAML files."""
