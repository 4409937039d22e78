"""The chime of high and urgent toasts: a small WAV the project makes (tools/make_chime.py)."""

import array
import io
import re
import wave

from tests.support import ROOT
from tools import make_chime

CHIME = ROOT / "tocsin/static/tocsin/chime.wav"


def frames(data: bytes) -> tuple[tuple, array.array]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getparams(), array.array("h", w.readframes(w.getnframes()))


def test_the_chime_is_a_short_small_mono_wav():
    params, samples = frames(CHIME.read_bytes())
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22_050)
    assert params.nframes / params.framerate <= 0.4
    assert CHIME.stat().st_size < 20_000
    assert max(abs(s) for s in samples) > 8_000  # audible, not silence
    assert abs(samples[0]) < 100 and abs(samples[-1]) < 100  # starts and ends without a click


def test_the_committed_chime_is_what_the_script_writes():
    committed_params, committed = frames(CHIME.read_bytes())
    made_params, made = frames(make_chime.render())
    assert committed_params == made_params
    # Within one step: another platform's libm may round a sine differently.
    assert max(abs(a - b) for a, b in zip(committed, made, strict=True)) <= 1


def test_its_licence_is_noted_beside_it():
    text = (CHIME.parent / "SOUNDS.md").read_text()
    assert "chime.wav" in text and "tools/make_chime.py" in text and "MIT" in text


def test_the_bell_gives_the_page_the_chime_url(client, auth):
    auth.login()
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'id="toast-stack"[^>]*data-sound-url="([^"]+)"', page).group(1)
    assert url.endswith("/chime.wav")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype in ("audio/wav", "audio/x-wav")
    assert response.data == CHIME.read_bytes()
    response.close()
