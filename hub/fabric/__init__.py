"""The fabric: the hub's MQTT connection and what travels over it.

    async with Fabric(FabricSettings(host="127.0.0.1", port=1883), clock=clock) as fabric:
        cancel = fabric.subscribe("zigbee2mqtt/+", on_message)
        fabric.publish("atmosphere/v1/...", b"...", qos=1)

The modules, bottom up: `settings` (where the broker is), `client` (paho's client with a
fast PUBLISH decode: the only use of paho internals), `loop` (the event loop's side of
the socket), `connect` (connecting, the 3.1.1 fallback, reconnecting with backoff),
`topics` and `subscriptions` (filters, the topic tree, MQTT 5 subscription ids),
`connection` (`Fabric`: publish, subscribe, birth and last will, the QoS 1 backlog),
`envelope` (the signed binary envelope and the replay guard), `journal` (the replay
guard's memory on disk), `rpc` (tool calls as
request/response with deadlines) and `broker` (the embedded Mosquitto and the probe).

The fabric knows nothing of capabilities or the registry: `rpc` is handed a resolver.
"""

from hub.fabric.broker import (
    EmbeddedBroker,
    ListenerTls,
    broker_answers,
    find_mosquitto,
    stop_orphan,
)
from hub.fabric.connection import Cancel, Fabric, FabricCounters, Message, MessageCallback
from hub.fabric.envelope import (
    JSON_TYPE,
    Envelope,
    PublicKeyLookup,
    ReplayGuard,
    seal,
    unseal,
)
from hub.fabric.journal import ReplayJournal
from hub.fabric.rpc import RpcClient, RpcCounters, RpcServer, reply_topic, rpc_topic
from hub.fabric.settings import FabricSettings, TlsSettings
from hub.fabric.topics import TopicTree, validate_filter

__all__ = [
    "JSON_TYPE",
    "Cancel",
    "EmbeddedBroker",
    "Envelope",
    "Fabric",
    "FabricCounters",
    "FabricSettings",
    "ListenerTls",
    "Message",
    "MessageCallback",
    "PublicKeyLookup",
    "ReplayGuard",
    "ReplayJournal",
    "RpcClient",
    "RpcCounters",
    "RpcServer",
    "TlsSettings",
    "TopicTree",
    "broker_answers",
    "find_mosquitto",
    "reply_topic",
    "rpc_topic",
    "seal",
    "stop_orphan",
    "unseal",
    "validate_filter",
]
