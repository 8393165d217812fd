"""Home Assistant style templates in a sandboxed Jinja2 environment, within a budget.

Device payloads and automations use the same small language as Home Assistant:
``{{ value_json.temperature | float(0) | round(1) }}``. The environment is sandboxed
(`ImmutableSandboxedEnvironment`: no attribute tricks, no mutation of the data) and
offers Home Assistant's helpers (`hub.templates.helpers`) plus Jinja's own (``default``,
``lower``, ``upper``...).

Templates are compiled once and cached by their source: rendering on the hot path of a
device message never compiles.

Every render runs on the event loop, so every render is bounded (`Budget`): wall time,
operations (loop iterations, calls, filters, operators, text made), the size of any value
it makes and of its output; a template's source is bounded too. The checks run inside the
render (`hub.templates.sandbox`): a render over its budget stops there with
`BudgetExceeded`, which names the template and the budget.

Errors are `PayloadError`s naming the template. Printing a value that does not exist
(``{{ value_json.missing }}``) raises `UndefinedValue`, a `PayloadError` of its own, so that
a caller can tell "this message does not carry that value" from a broken template; testing
a missing value (``{% if value_json.x is defined %}``, ``| default(0)``) is fine.
"""

from hub.templates.budget import Budget, BudgetExceeded
from hub.templates.template import Template, Templates, UndefinedValue

__all__ = ["Budget", "BudgetExceeded", "Template", "Templates", "UndefinedValue"]
