"""The MQTT fabric against a real Mosquitto: routing, birth and will, reconnects."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.errors import FabricError
from hub.fabric import Fabric, FabricSettings, Message
from tests.broker import Mosquitto, free_port
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent


def settings(broker: Mosquitto, **kwargs: object) -> FabricSettings:
    return FabricSettings(host=broker.host, port=broker.port, **kwargs)  # type: ignore[arg-type]


class Inbox:
    """Collects messages; `wait(n)` returns once `n` have arrived."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    async def wait(self, count: int, timeout: float = 5.0) -> list[Message]:
        await eventually(lambda: len(self.messages) >= count, timeout=timeout)
        return self.messages

    @property
    def payloads(self) -> list[bytes]:
        return [m.payload for m in self.messages]


# -- paho internals ---------------------------------------------------------------------------


def test_paho_internals_the_fast_path_relies_on_exist() -> None:
    # hub/mqttclient.py's FastClient overrides or reads these paho 2.x internals; an
    # upgrade that renames them must fail here rather than silently fall back or break.
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    for name in (
        "_sock_recv",
        "_handle_publish",
        "_send_puback",
        "_packet_read",
        "_loop_rc_handle",
        "_sock",
        "_in_packet",
        "_out_packet",
        "_protocol",
        "_manual_ack",
    ):
        assert hasattr(client, name), name
    assert hasattr(mqtt.MQTTMessage(), "_topic")


# -- connecting -------------------------------------------------------------------------------


async def test_nothing_listening_names_host_and_port() -> None:
    port = free_port()
    with pytest.raises(
        FabricError, match=rf"Not connected to 127\.0\.0\.1:{port}: connection refused"
    ):
        async with Fabric(FabricSettings(port=port)):
            pass


async def test_reentry_is_refused(mosquitto: Mosquitto) -> None:
    fabric = Fabric(settings(mosquitto))
    async with fabric:
        with pytest.raises(FabricError, match="already open: enter it once"):
            async with fabric:
                pass
        assert fabric.connected
    assert not fabric.connected
    async with fabric:  # reusable once closed
        assert fabric.connected


async def test_publish_before_open_is_refused(mosquitto: Mosquitto) -> None:
    fabric = Fabric(settings(mosquitto))
    with pytest.raises(FabricError, match="the fabric is not open"):
        fabric.publish("x", b"y")


async def test_wait_connected_times_out_with_a_clear_error(private_mosquitto: Mosquitto) -> None:
    async with Fabric(settings(private_mosquitto)) as fabric:
        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        with pytest.raises(FabricError, match=r"Not connected to 127\.0\.0\.1:\d+ within 0\.05 s"):
            await fabric.wait_connected(0.05)


# -- publish and subscribe ------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_wildcards_route_each_message_once_per_callback(
    mosquitto: Mosquitto, topic_prefix: str, protocol: str
) -> None:
    async with Fabric(settings(mosquitto, protocol=protocol)) as fabric:
        assert fabric.protocol == protocol
        everything, plus, exact, other = Inbox(), Inbox(), Inbox(), Inbox()
        fabric.subscribe(f"{topic_prefix}/#", everything)
        fabric.subscribe(f"{topic_prefix}/+/state", plus, qos=1)
        fabric.subscribe(f"{topic_prefix}/kitchen/state", exact)
        fabric.subscribe(f"{topic_prefix}/+/other", other)
        # the broker handles packets in order: once this is back, the subscriptions hold
        await fabric.publish_confirmed(f"{topic_prefix}/ready", b"")
        await everything.wait(1)

        fabric.publish(f"{topic_prefix}/kitchen/state", b'{"state":"on"}', qos=1)
        fabric.publish(f"{topic_prefix}/hall/state", "text is UTF-8 encoded")
        fabric.publish(f"{topic_prefix}/hall/brightness", bytes(range(256)))

        await everything.wait(4)
        await plus.wait(2)
        await exact.wait(1)
        # overlapping subscriptions (MQTT 5 sends one copy per subscription) must not
        # reach any callback twice
        await fabric.publish_confirmed(f"{topic_prefix}/done", b"")
        await everything.wait(5)
        assert everything.payloads[1:] == [
            b'{"state":"on"}',
            b"text is UTF-8 encoded",
            bytes(range(256)),
            b"",
        ]
        assert [m.topic for m in plus.messages] == [
            f"{topic_prefix}/kitchen/state",
            f"{topic_prefix}/hall/state",
        ]
        if protocol == "5":  # Mosquitto sends 3.1.1's single copy at the first match's QoS
            assert plus.messages[0].qos == 1
        assert exact.payloads == [b'{"state":"on"}']
        assert other.messages == []
        # the broker's copies: one per matching subscription on MQTT 5, one on 3.1.1
        assert fabric.counters.received == (8 if protocol == "5" else 5)


async def test_cancel_stops_delivery_and_keeps_other_callbacks(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with Fabric(settings(mosquitto)) as fabric:
        first, second = Inbox(), Inbox()
        cancel = fabric.subscribe(f"{topic_prefix}/t", first)
        fabric.subscribe(f"{topic_prefix}/t", second)
        await fabric.publish_confirmed(f"{topic_prefix}/t", b"1")
        await first.wait(1)
        await second.wait(1)
        cancel()
        cancel()  # idempotent
        await fabric.publish_confirmed(f"{topic_prefix}/t", b"2")
        await second.wait(2)
        assert first.payloads == [b"1"]
        assert second.payloads == [b"1", b"2"]


async def test_a_raising_callback_is_counted_and_others_still_receive(
    mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(message: Message) -> None:
        raise RuntimeError("subscriber bug")

    async with Fabric(settings(mosquitto)) as fabric:
        inbox = Inbox()
        fabric.subscribe(f"{topic_prefix}/#", broken)
        fabric.subscribe(f"{topic_prefix}/#", inbox)
        for i in range(3):
            fabric.publish(f"{topic_prefix}/x", str(i))
        await inbox.wait(3)
        assert inbox.payloads == [b"0", b"1", b"2"]
        assert fabric.counters.callback_errors == 3
        # logged once, not once per message
        assert caplog.text.count("subscriber failed") == 1
        assert "RuntimeError: subscriber bug" in caplog.text


async def test_invalid_topics_raise_fabric_errors(mosquitto: Mosquitto) -> None:
    async with Fabric(settings(mosquitto)) as fabric:
        with pytest.raises(FabricError, match=r"cannot subscribe to 'a/#/b': '#' must be"):
            fabric.subscribe("a/#/b", lambda m: None)
        with pytest.raises(FabricError, match=r"cannot publish to 'a/\+': "):
            fabric.publish("a/+", b"")


async def test_large_binary_payload_arrives_intact(mosquitto: Mosquitto, topic_prefix: str) -> None:
    blob = os.urandom(1_000_000)
    async with Fabric(settings(mosquitto)) as fabric:
        inbox = Inbox()
        fabric.subscribe(f"{topic_prefix}/blob", inbox, qos=1)
        await fabric.publish_confirmed(f"{topic_prefix}/blob", blob)
        [message] = await inbox.wait(1)
        assert message.payload == blob


async def test_many_subscriptions_are_restored_and_routed(
    private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with Fabric(settings(private_mosquitto)) as fabric:
        inboxes = [Inbox() for _ in range(300)]
        for i, inbox in enumerate(inboxes):
            fabric.subscribe(f"{topic_prefix}/dev{i}/+", inbox)
        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        private_mosquitto.start()
        await fabric.wait_connected(15)
        await fabric.publish_confirmed(f"{topic_prefix}/dev299/state", b"last")
        for i in range(300):
            fabric.publish(f"{topic_prefix}/dev{i}/state", str(i))
        for i in (0, 150, 299):
            await inboxes[i].wait(1)
        await inboxes[299].wait(2)
        await eventually(lambda: all(inbox.messages for inbox in inboxes))
        assert inboxes[150].payloads == [b"150"]


# -- birth, will and outages ----------------------------------------------------------------------

_HUB_SCRIPT = """
import asyncio, sys
from hub.fabric import Fabric, FabricSettings

async def main():
    status = sys.argv[3]
    settings = FabricSettings(host="127.0.0.1", port=int(sys.argv[1]), keepalive=5)
    async with Fabric(settings, will=(status, b"offline"), birth=(status, b"online")):
        print("ready", flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


@asynccontextmanager
async def status_watch(broker: Mosquitto, topic: str) -> AsyncIterator[Inbox]:
    async with Fabric(settings(broker)) as observer:
        inbox = Inbox()
        observer.subscribe(topic, inbox, qos=1)
        yield inbox


async def test_birth_then_last_will_when_the_hub_dies(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    status = f"{topic_prefix}/status"
    async with status_watch(mosquitto, status) as inbox:
        hub = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _HUB_SCRIPT,
            str(mosquitto.port),
            "x",
            status,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert hub.stdout is not None
            assert await hub.stdout.readline() == b"ready\n"
            await inbox.wait(1)
            assert inbox.payloads == [b"online"]
            hub.send_signal(signal.SIGKILL)  # no DISCONNECT: the broker sends the will
        finally:
            if hub.returncode is None:
                hub.kill()
            await hub.wait()
        await inbox.wait(2)
        assert inbox.payloads == [b"online", b"offline"]
        assert inbox.messages[1].retain is False  # delivered live, retained for later
    # retained: a late subscriber sees the last status
    async with status_watch(mosquitto, status) as late:
        [message] = await late.wait(1)
        assert (message.payload, message.retain) == (b"offline", True)


async def test_clean_exit_publishes_offline_retained(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    status = f"{topic_prefix}/status"
    async with status_watch(mosquitto, status) as inbox:
        async with Fabric(settings(mosquitto), will=(status, "offline"), birth=(status, "online")):
            await inbox.wait(1)
        await inbox.wait(2)
        assert inbox.payloads == [b"online", b"offline"]


async def test_clean_exit_publishes_the_goodbye_not_the_will(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    status = f"{topic_prefix}/status"
    async with status_watch(mosquitto, status) as inbox:
        async with Fabric(
            settings(mosquitto), will=(status, "offline"), birth=(status, "online"),
            goodbye=(status, "left"),
        ):
            await inbox.wait(1)
        await inbox.wait(2)
        assert inbox.payloads == [b"online", b"left"]


async def test_broker_restart_reconnects_restores_and_delivers_the_backlog(
    private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    status = f"{topic_prefix}/status"
    fabric = Fabric(settings(private_mosquitto), birth=(status, b"online"))
    async with fabric:
        inbox, births = Inbox(), Inbox()
        fabric.subscribe(f"{topic_prefix}/data/#", inbox, qos=1)
        fabric.subscribe(status, births)
        await births.wait(1)
        await fabric.publish_confirmed(f"{topic_prefix}/data/before", b"0")
        await inbox.wait(1)

        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        for i in range(1, 51):
            fabric.publish(f"{topic_prefix}/data/during", str(i), qos=1)
        fabric.publish(f"{topic_prefix}/data/during", b"qos0 is dropped", qos=0)
        assert fabric.counters.dropped == 1

        private_mosquitto.start()
        await fabric.wait_connected(15)
        await inbox.wait(51, timeout=10)
        await births.wait(2)  # birth re-published on reconnect
        fabric.publish(f"{topic_prefix}/data/after", b"after", qos=1)
        await inbox.wait(52)
        assert inbox.payloads == [str(i).encode() for i in range(51)] + [b"after"]
        counters = fabric.counters
        assert counters.reconnects == 1
        assert counters.dropped == 1
        assert counters.callback_errors == 0


async def test_a_full_backlog_drops_and_counts(
    private_mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Fabric(settings(private_mosquitto, max_backlog=10)) as fabric:
        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        for i in range(25):
            fabric.publish(f"{topic_prefix}/x", str(i), qos=1)
        assert fabric.counters.dropped == 15
        assert fabric.counters.published == 10
        assert caplog.text.count("message dropped") == 1
        assert "reason=backlog full" in caplog.text


# -- MQTT 3.1.1 fallback ----------------------------------------------------------------------------


@asynccontextmanager
async def v311_only_proxy(broker: Mosquitto) -> AsyncIterator[int]:
    """A loopback proxy to `broker` that refuses MQTT 5 like a 3.1.1-only broker does."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readexactly(2 + 2 + 4 + 1)  # fixed header, "MQTT", level
        if head[-1] == 5:
            writer.write(b"\x20\x02\x00\x01")  # CONNACK: unacceptable protocol version
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(broker.host, broker.port)
        up_writer.write(head)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_falls_back_to_mqtt_311_when_the_broker_refuses_5(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with v311_only_proxy(mosquitto) as port, Fabric(FabricSettings(port=port)) as fabric:
        assert fabric.protocol == "3.1.1"
        inbox = Inbox()
        fabric.subscribe(f"{topic_prefix}/#", inbox)
        await fabric.publish_confirmed(f"{topic_prefix}/a", b"over 3.1.1")
        assert (await inbox.wait(1))[0].payload == b"over 3.1.1"


async def test_wait_subscribed_means_another_client_can_publish(
    private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with (
        Fabric(settings(private_mosquitto)) as sub,
        Fabric(settings(private_mosquitto)) as pub,
    ):
        inbox = Inbox()
        for i in range(50):
            sub.subscribe(f"{topic_prefix}/{i}", inbox, qos=1)
        await sub.wait_subscribed()
        await pub.publish_confirmed(f"{topic_prefix}/49", b"first")
        await inbox.wait(1)
        # after a reconnect the restored subscriptions are awaited the same way
        private_mosquitto.stop()
        await eventually(lambda: not sub.connected)
        private_mosquitto.start()
        await sub.wait_subscribed(timeout=15)
        await pub.wait_connected(15)
        await pub.publish_confirmed(f"{topic_prefix}/0", b"second")
        await inbox.wait(2)
        assert inbox.payloads == [b"first", b"second"]


async def test_qos0_send_queue_is_bounded(mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with Fabric(settings(mosquitto, max_backlog=10)) as fabric:
        inbox = Inbox()
        fabric.subscribe(f"{topic_prefix}/x", inbox)
        await fabric.wait_subscribed()
        # nothing is written before the loop turns: a burst past the bound is dropped
        for i in range(25):
            fabric.publish(f"{topic_prefix}/x", str(i))
        assert fabric.counters.dropped == 15
        await inbox.wait(10)
        fabric.publish(f"{topic_prefix}/x", b"after")
        await inbox.wait(11)
        assert inbox.payloads == [str(i).encode() for i in range(10)] + [b"after"]


async def test_a_second_callback_on_a_filter_also_gets_the_retained_message(
    mosquitto: Mosquitto, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}/bridge/devices"
    async with Fabric(settings(mosquitto)) as fabric:
        await fabric.publish_confirmed(topic, b"[1, 2]", retain=True)
        first, second = Inbox(), Inbox()
        fabric.subscribe(topic, first)
        await first.wait(1)
        fabric.subscribe(topic, second)  # the broker subscription exists already
        received = await second.wait(1)
        assert received[0].payload == b"[1, 2]" and received[0].retain is True
        # a live message afterwards reaches each callback once
        fabric.publish(topic, b"[3]")
        await second.wait(2)
        await fabric.publish_confirmed(topic, b"", retain=True)  # clear the retained message
        await first.wait(3)
        assert second.payloads[-2:] == [b"[3]", b""]
        assert first.payloads.count(b"[3]") == 1
