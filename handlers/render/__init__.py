"""Pure renderers: results (dataclasses from ops/ and approvals/) → Slack messages.

All user-facing text lives here, so a Korean locale can be added in one place.
"""
