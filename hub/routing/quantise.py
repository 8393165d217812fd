"""Build the per-channel quantised copy of an ONNX sentence encoder, in a process of its own.

    python -m hub.routing.quantise SOURCE.onnx TARGET.onnx

The build peaks near 700 MB and the allocator keeps much of that after it is done, so the
hub runs it in a child process and only ever loads the small result (see
`Embedder._per_channel`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hub.errors import ConfigError


def build_in_child(source: Path, target: Path, timeout: float = 600.0) -> None:
    """Run the build in a child process; raise ConfigError with its last words on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "hub.routing.quantise", str(source), str(target)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if done.returncode != 0 or not target.is_file():
        last = " | ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        raise ConfigError(f"building the per-channel model {target} failed: {last}")


def main(argv: list[str]) -> int:
    from hub.routing.embedder import quantise_per_channel

    if len(argv) != 2:
        print("usage: python -m hub.routing.quantise SOURCE.onnx TARGET.onnx", file=sys.stderr)
        return 2
    try:
        quantise_per_channel(Path(argv[0]), Path(argv[1]))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
