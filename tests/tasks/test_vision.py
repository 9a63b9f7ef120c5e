"""CIFAR-10/100 from tiny pickles in the published python format under a data root, the
restricted unpickler, and the ResNet-50 stem option."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from shared.tasks.base import TaskDataError
from shared.tasks.data_root import DataPathError
from shared.tasks.registry import build_task
from shared.tasks.safe_pickle import UnsafePickleError, load_cifar_pickle
from tests.tasks.formats import Python2Pickle, write_cifar10


def test_cifar10_reads_all_batches_and_normalises(cifar10_dir: Path, data_root: Path) -> None:
    data = build_task("cifar10", {}, data_root).load()  # default: <root>/cifar10
    assert len(data.train) == 20 and len(data.test) == 6 and data.num_labels == 10
    assert data.label_names is not None and data.label_names[0] == "airplane"
    image, label = data.train[5]  # second image of data_batch_2
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert label.dtype == torch.long and label.item() == 1
    with (cifar10_dir / "data_batch_2").open("rb") as handle:
        raw = pickle.load(handle, encoding="bytes")[b"data"][1]
    red = raw[:1024].reshape(32, 32) / 255.0  # channel-major: the first 1024 bytes are red
    expected = (red - 0.4914) / 0.2470
    assert np.allclose(image[0].numpy(), expected, atol=1e-5)


def test_cifar100_uses_fine_labels(cifar100_dir: Path, data_root: Path) -> None:
    data = build_task("cifar100", {}, data_root).load()
    assert len(data.train) == 20 and len(data.test) == 5 and data.num_labels == 100
    assert data.train[7][1].item() == 7
    assert data.label_names is not None and len(data.label_names) == 100


def test_a_named_sub_directory_and_the_extracted_tarball_directory(data_root: Path) -> None:
    write_cifar10(data_root / "cifar10-small" / "cifar-10-batches-py")
    data = build_task("cifar10", {"data_dir": "cifar10-small"}, data_root).load()
    assert len(data.train) == 20
    nested = build_task("cifar10", {"data_dir": "cifar10-small/cifar-10-batches-py"}, data_root)
    assert len(nested.load().test) == 6


def test_missing_directory_and_files_name_the_relative_path_and_format(data_root: Path) -> None:
    with pytest.raises(TaskDataError) as raised:
        build_task("cifar10", {}, data_root).load()
    message = str(raised.value)
    assert "no directory cifar10/ under the data root" in message and "data_batch_1" in message
    assert str(data_root) not in message and "\n" not in message
    (data_root / "cifar100").mkdir()
    with pytest.raises(TaskDataError) as raised:
        build_task("cifar100", {}, data_root).load()
    message = str(raised.value)
    assert "missing cifar100/train under the data root" in message and "fine_labels" in message
    assert str(data_root) not in message


def test_a_missing_batch_file_is_reported(cifar10_dir: Path, data_root: Path) -> None:
    (cifar10_dir / "data_batch_3").unlink()
    with pytest.raises(TaskDataError, match=r"missing cifar10/data_batch_3 under the data root"):
        build_task("cifar10", {}, data_root).load()


def test_malformed_batches_are_refused(cifar10_dir: Path, data_root: Path) -> None:
    path = cifar10_dir / "test_batch"
    path.write_bytes(pickle.dumps({b"data": np.zeros((3, 100), np.uint8), b"labels": [0] * 3}))
    with pytest.raises(TaskDataError, match="shape"):
        build_task("cifar10", {}, data_root).load()
    path.write_bytes(pickle.dumps({b"data": np.zeros((3, 3072), np.uint8), b"labels": [0, 11, 2]}))
    with pytest.raises(TaskDataError, match="labels outside"):
        build_task("cifar10", {}, data_root).load()
    path.write_bytes(b"not a pickle")
    with pytest.raises(TaskDataError, match="cannot unpickle cifar10/test_batch"):
        build_task("cifar10", {}, data_root).load()


class RunsACommand:
    """What a malicious pickle carries: unpickling it calls os.system."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def test_a_pickle_naming_os_system_is_refused_before_anything_runs(
    cifar10_dir: Path, data_root: Path, tmp_path: Path
) -> None:
    witness = tmp_path / "ran"
    payload = {b"data": RunsACommand(f"touch {witness}"), b"labels": [0]}
    for protocol in (2, 4, 5):
        (cifar10_dir / "test_batch").write_bytes(pickle.dumps(payload, protocol=protocol))
        with pytest.raises(TaskDataError, match=r"refusing to load (posix|os)\.system"):
            build_task("cifar10", {}, data_root).load()
    assert not witness.exists()
    with pytest.raises(UnsafePickleError):
        load_cifar_pickle(io.BytesIO(pickle.dumps(payload)))
    assert not witness.exists()


@pytest.mark.parametrize(
    "name",
    ["builtins.eval", "builtins.getattr", "numpy.load", "numpy.frombuffer", "subprocess.Popen"],
)
def test_other_globals_are_refused(name: str) -> None:
    module, attribute = name.rsplit(".", 1)
    crafted = b"\x80\x02c" + f"{module}\n{attribute}\n".encode() + b"."
    with pytest.raises(UnsafePickleError, match=f"refusing to load {name}"):
        load_cifar_pickle(io.BytesIO(crafted))


def test_codecs_encode_is_admitted_for_latin1_only() -> None:
    # Python 3 writes bytes into a protocol-2 pickle as _codecs.encode(text, "latin1")
    assert load_cifar_pickle(io.BytesIO(pickle.dumps(b"\x00\xff", protocol=2))) == b"\x00\xff"
    crafted = b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R."
    with pytest.raises(UnsafePickleError, match="zlib"):
        load_cifar_pickle(io.BytesIO(crafted))


@pytest.mark.parametrize("numpy_module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_both_numpy_spellings_of_the_published_format_load(numpy_module: str) -> None:
    images = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072) % 251
    raw = Python2Pickle(numpy_module).dumps({"data": images, "labels": [3, 9]})
    batch = load_cifar_pickle(io.BytesIO(raw))
    assert batch[b"labels"] == [3, 9]
    assert batch[b"data"].dtype == np.uint8 and np.array_equal(batch[b"data"], images)


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_repacked_python3_pickles_load(cifar10_dir: Path, data_root: Path, protocol: int) -> None:
    images = np.full((3, 3072), 7, np.uint8)
    payload = {b"data": images, b"labels": [1, 2, 3], b"batch_label": b"testing batch 1 of 1"}
    (cifar10_dir / "test_batch").write_bytes(pickle.dumps(payload, protocol=protocol))
    data = build_task("cifar10", {}, data_root).load()
    assert [int(label) for _, label in data.test] == [1, 2, 3]
    # protocol 5 rebuilds arrays through another NumPy function, outside the allow-list
    (cifar10_dir / "test_batch").write_bytes(pickle.dumps(payload, protocol=5))
    with pytest.raises(TaskDataError, match=r"refusing to load numpy\._core\.numeric"):
        build_task("cifar10", {}, data_root).load()


def test_symlinks_leading_out_of_the_root_are_refused(
    cifar10_dir: Path, data_root: Path, tmp_path: Path
) -> None:
    outside = write_cifar10(tmp_path / "elsewhere")
    (data_root / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataPathError, match="'linked' is a link that leads outside"):
        build_task("cifar10", {"data_dir": "linked"}, data_root).load()
    (cifar10_dir / "test_batch").unlink()
    (cifar10_dir / "test_batch").symlink_to(outside / "test_batch")
    with pytest.raises(DataPathError, match="cifar10/test_batch is a link that leads outside"):
        build_task("cifar10", {}, data_root).load()
    # a link that stays inside the root is fine
    (cifar10_dir / "test_batch").unlink()
    (cifar10_dir / "test_batch").symlink_to(cifar10_dir / "data_batch_1")
    assert len(build_task("cifar10", {}, data_root).load().test) == 4


def test_cifar_stem_option_replaces_conv1_and_maxpool(tmp_path: Path) -> None:
    cifar = build_task("cifar10", {}, tmp_path).build_model(10)
    imagenet = build_task("cifar10", {"cifar_stem": False}, tmp_path).build_model(10)
    assert cifar.conv1.kernel_size == (3, 3) and cifar.conv1.stride == (1, 1)
    assert isinstance(cifar.maxpool, torch.nn.Identity)
    assert imagenet.conv1.kernel_size == (7, 7) and imagenet.conv1.stride == (2, 2)
    assert isinstance(imagenet.maxpool, torch.nn.MaxPool2d)
    assert imagenet.fc.out_features == 10


def test_resnet50_forward_loss_backward(cifar100_dir: Path, data_root: Path) -> None:
    task = build_task("cifar100", {}, data_root)
    data = task.load()
    model = task.build_model(data.num_labels)
    inputs, targets = torch.utils.data.default_collate([data.train[0], data.train[1]])
    logits = model(inputs)
    assert logits.shape == (2, 100)
    loss = task.loss(logits, targets)
    loss.backward()
    assert torch.isfinite(loss) and model.conv1.weight.grad is not None
    assert task.predict(logits).shape == (2,)
