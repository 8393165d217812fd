import socket

from tests.broker import Mosquitto


def test_session_broker_listens(mosquitto: Mosquitto) -> None:
    assert mosquitto.port != 1883
    with socket.create_connection((mosquitto.host, mosquitto.port), timeout=1):
        pass
