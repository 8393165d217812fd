"""What integrations share to turn devices into capabilities.

- `Confirmations`: a device command returns when the device reports the asked state.
- `TriggerFiring`: a device event becomes a push trigger (throttle, intent template,
  `TriggerFired` on the bus).
- `BadInputLog`: malformed device input is counted per source and logged without flooding.
"""

from hub.devices.badinput import BadInputLog
from hub.devices.confirmations import Confirmations, Predicate, State
from hub.devices.firing import TriggerFiring, fill

__all__ = ["BadInputLog", "Confirmations", "Predicate", "State", "TriggerFiring", "fill"]
