"""The company policy: an OSPO's channels, reviewers, licences and internal pages.

`model` is the file's shape, `apply` the pure step after the core's recommendation, `files`
reads and explains the YAML file.
"""

from bot.policy.apply import apply_policy, needs_review
from bot.policy.files import EXAMPLE, PolicyError, load_policy, parse_policy, policy_reference
from bot.policy.model import Policy

__all__ = ["EXAMPLE", "Policy", "PolicyError", "apply_policy", "load_policy", "needs_review",
           "parse_policy", "policy_reference"]
