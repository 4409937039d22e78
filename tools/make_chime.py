"""Write Tocsin's notification chime, tocsin/static/tocsin/chime.wav, from code.

The project makes its own sound, so it ships under the project's licence with nothing to
attribute (tocsin/static/tocsin/SOUNDS.md). Two soft bell tones a fourth apart (G5, then
C6), 0.38 s, mono, 16-bit, 22,050 Hz: about 17 KB. Standard library only, and the output
is the same bytes on every run, so a test can check the committed file against it.

    python tools/make_chime.py [OUTPUT]
"""

import io
import math
import sys
import wave
from pathlib import Path

RATE = 22_050
SECONDS = 0.38
#: (start in s, frequency in Hz): G5, then C6 as G5 rings on.
NOTES = ((0.0, 783.99), (0.12, 1046.50))
#: A bell-like tone: the fundamental with a little of the next partials.
PARTIALS = ((1.0, 1.0), (2.0, 0.18), (3.0, 0.05))
#: 6 ms of attack avoids a click; the 70 ms decay keeps it short and soft.
ATTACK = 0.006
DECAY = 0.07
#: The last 40 ms fade to silence, so the file never ends on a step.
FADE = 0.04
#: Peak at half of full scale (-6 dBFS): a chime, not an alarm.
PEAK = 0.5

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "tocsin/static/tocsin/chime.wav"


def samples() -> list[float]:
    """Return the chime as floats in -1..1."""
    count = round(RATE * SECONDS)
    out = []
    for i in range(count):
        t = i / RATE
        value = 0.0
        for start, freq in NOTES:
            age = t - start
            if age < 0:
                continue
            envelope = min(1.0, age / ATTACK) * math.exp(-age / DECAY)
            for ratio, weight in PARTIALS:
                value += weight * envelope * math.sin(2 * math.pi * freq * ratio * age)
        out.append(value * min(1.0, (SECONDS - t) / FADE))
    loudest = max(abs(v) for v in out)
    return [v * PEAK / loudest for v in out]


def render() -> bytes:
    """Return the chime as the bytes of a WAV file."""
    frames = b"".join(round(v * 32767).to_bytes(2, "little", signed=True) for v in samples())
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else DEFAULT_OUTPUT
    path.write_bytes(render())
    print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
