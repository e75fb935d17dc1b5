"""The Slack edge: the bolt app (`app`), its dialogue, Block Kit renderings, OAuth, the
Workflow step, the shortcut's modal and the OSPO review listeners, one module each."""
