"""`nmt translate --ray` on a local Ray cluster (2 CPUs) with the tiny fp32 ONNX bundle: the
output is the local command's byte for byte, bad lines behave as locally, and an actor that dies
mid-run is restarted with every line written exactly once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nmt import cli
from nmt.files import stream
from nmt.files.codecs import make_codec
from nmt.files.on_ray import ChunkTranslator, RaySettings, TranslatorSpec, translate_lines_on_ray
from nmt.files.stream import LineJob
from tests.files.conftest import write

try:
    import ray
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI installs the ray extra (make setup): a missing Ray is a broken setup
    pytest.skip("ray is not installed (pip install -e '.[ray]')", allow_module_level=True)

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 7  # lines per chunk: the small files below make several blocks
WORDS = ["Open the file.", "Save {0} files?", "Quit", "Click here to print %s.", "the window"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local cluster of 2 CPUs for this module; workers can import `tests` (the dying actor)."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="WARNING",
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.translate_helpers import onnx_bundle

    path, _ = onnx_bundle(tmp_path_factory)
    return path


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "CHUNK_LINES", CHUNK)


def lines(count: int) -> list[str]:
    return [f"{WORDS[i % len(WORDS)]} {i}" if i % 6 else "" for i in range(count)]


def _jsonl(count: int) -> str:
    return "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(lines(count)))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("in.txt", "\ufeff" + "\r\n".join(lines(30)) + "\nlast line without an end"),
        ("in.tsv", "id\tsource\n" + "".join(f"{i}\t{t}\n" for i, t in enumerate(lines(25)))),
        ("in.jsonl", _jsonl(20)),
    ],
)
def test_ray_output_is_the_local_output_byte_for_byte(
    cluster: None,
    bundle: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
) -> None:
    source = write(tmp_path / name, text)
    column = ["--column", "source"] if name.endswith(".tsv") else []
    assert (
        cli.main(["translate", str(source), str(tmp_path / "local"), *column, *_opts(bundle)]) == 0
    )
    local = json.loads(capsys.readouterr().out)
    argv = ["translate", str(source), str(tmp_path / "ray"), *column, "--ray", "--ray-actors", "2"]
    assert cli.main([*argv, *_opts(bundle)]) == 0
    remote = json.loads(capsys.readouterr().out)
    expected = (tmp_path / "local").read_bytes()
    assert (tmp_path / "ray").read_bytes() == expected
    assert expected.count(b"\n") >= 20 and len(set(expected.splitlines())) > 5  # real output
    assert remote["ray"] == {"actors": 2, "threads": 1}
    assert {k: v for k, v in remote.items() if k not in ("seconds", "segments_per_s", "ray")} == {
        **{k: v for k, v in local.items() if k not in ("seconds", "segments_per_s")},
        "output": str(tmp_path / "ray"),
    }
    assert not list(tmp_path.glob("*.partial*"))


def _opts(bundle: Path) -> list[str]:
    """Greedy, 1 thread (per actor under --ray)."""
    return ["--bundle", str(bundle), "--beam", "1", "--threads", "1"]


def test_bad_lines_stop_with_file_and_line_or_are_skipped_as_locally(
    cluster: None, bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [json.dumps({"text": t}) for t in lines(20)]
    good[9], good[16] = "not json", '{"txt": "no text field"}'  # lines 10 and 17: chunks 2 and 3
    source = write(tmp_path / "in.jsonl", "\n".join(good) + "\n")
    ray_args = ["--ray", "--ray-actors", "2"]
    assert cli.main(["translate", str(source), str(tmp_path / "x"), *ray_args, *_opts(bundle)]) == 2
    assert f"{source}:10: " in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    for out, extra in (("local", []), ("ray", ray_args)):
        argv = ["translate", str(source), str(tmp_path / out), "--skip-bad", *extra]
        assert cli.main([*argv, *_opts(bundle)]) == 0
        assert json.loads(capsys.readouterr().out)["skipped"] == {"bad json": 1, "missing field": 1}
    assert (tmp_path / "ray").read_bytes() == (tmp_path / "local").read_bytes()
    assert len((tmp_path / "ray").read_bytes().splitlines()) == 18


class DyingChunkTranslator(ChunkTranslator):
    """Logs `index pid` per call to `calls.log` beside the output; the first actor to get
    chunk 2 dies (its process exits, as a killed or crashed actor's does) before answering."""

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        log = self.job.output.parent / "calls.log"
        with log.open("a") as fh:
            fh.write(f"{row['index']} {os.getpid()}\n")
        if int(row["index"]) == 2:
            try:
                fd = os.open(log.with_suffix(".died"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass  # the retry: answer
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                os._exit(1)
        return super().__call__(row)


def test_a_killed_actor_is_restarted_and_every_line_appears_once(
    cluster: None, bundle: Path, tmp_path: Path
) -> None:
    count = 40
    source = write(tmp_path / "in.txt", "".join(f"{t}\n" for t in lines(count)))
    expected = tmp_path / "local.txt"
    assert cli.main(["translate", str(source), str(expected), *_opts(bundle)]) == 0
    spec = TranslatorSpec(bundle=str(bundle), beam=1, batch_size=32)
    job = LineJob(source, tmp_path / "ray.txt", "txt", make_codec("txt", column=None, field=None))
    settings = {"bundle": str(bundle)}
    result = translate_lines_on_ray(
        job, spec, settings, RaySettings(actors=2), actor_cls=DyingChunkTranslator
    )
    out = (tmp_path / "ray.txt").read_bytes()
    assert out == expected.read_bytes() and len(out.splitlines()) == count
    assert result["lines"] == count and result["translated"] == count - len(range(0, count, 6))
    died = int((tmp_path / "calls.died").read_text())
    calls = [tuple(map(int, line.split())) for line in (tmp_path / "calls.log").open()]
    chunk2 = [pid for index, pid in calls if index == 2]
    assert chunk2[0] == died and len(chunk2) == 2 and chunk2[1] != died  # retried elsewhere
    assert sorted({index for index, _ in calls}) == list(range(-(-count // CHUNK)))
