"""Optimizer plugins: typed from a class's signature, discovered out of process,
collisions refused, unusable ones listed with the reason, and a conformance check that
catches what breaks a run."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from shared.optim.baselines import BASELINES
from shared.optim.conformance import ConformanceCheck
from shared.optim.declarations import (
    UnknownOptimizerError,
    builtin_registry,
    catalog,
    declaration,
    resolve_hyperparameters,
    set_registry,
)
from shared.optim.hyperparameters import HyperparameterError
from shared.optim.inference import (
    UntypedSignatureError,
    constructor_arguments,
    infer_hyperparameters,
    needs_closure,
)
from shared.optim.plugins import discover
from shared.optim.registry import build
from shared.registry import load_object
from tests.optim import plugin_samples as samples
from tests.optim.conftest import batches, small_model

SAMPLES = "tests.optim.plugin_samples"
#: Keyword arguments of torch's classes the baselines leave at torch's default, on purpose.
LEFT_AT_DEFAULT = {"adam": {"decoupled_weight_decay"}}


@pytest.fixture
def plugins(tmp_path: Path) -> Iterator[Callable[[str], object]]:
    def install(configured: str) -> object:
        return discover(tmp_path / "cache", configured)

    yield install
    set_registry(builtin_registry())


@pytest.mark.parametrize("name", list(BASELINES))
def test_each_baseline_is_declared_as_its_torch_class_takes_it(name: str) -> None:
    target, _, declared, tuples = BASELINES[name]
    inferred, inferred_tuples, _ = infer_hyperparameters(load_object(target))
    by_name = {h.name: h for h in inferred}
    assert inferred_tuples == tuples
    assert {h.name for h in declared} == set(by_name) - LEFT_AT_DEFAULT.get(name, set())
    for h in declared:
        assert h.type is by_name[h.name].type, h.name
        assert h.default == by_name[h.name].default, h.name


@pytest.mark.parametrize("name", list(BASELINES))
def test_each_baseline_steps_exactly_as_its_torch_class(name: str) -> None:
    target = BASELINES[name][0]
    values = resolve_hyperparameters(name, {"lr": 0.01})
    ours_model, theirs_model = small_model(), small_model()
    ours = build(name, ours_model.parameters(), lr=0.01)
    theirs = load_object(target)(
        theirs_model.parameters(), **constructor_arguments(values, BASELINES[name][3])
    )
    loss_fn = torch.nn.MSELoss()
    for x, y in batches(8):
        theirs.zero_grad()
        loss_fn(theirs_model(x), y).backward()
        theirs.step()

        def closure(x: torch.Tensor = x, y: torch.Tensor = y) -> torch.Tensor:
            ours.zero_grad()
            loss = loss_fn(ours_model(x), y)
            loss.backward()
            return loss.detach()

        ours.step(closure)
    for a, b in zip(ours_model.parameters(), theirs_model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert ours.gradient_evaluations == 8


def test_a_signature_is_typed_with_conventions_and_tuples_split() -> None:
    class Example(torch.optim.Optimizer):
        def __init__(self, params, lr=1, betas=(0.9, 0.99), steps=3, nesterov=False, fn=None):
            super().__init__(params, {})

    hyperparameters, tuples, skipped = infer_hyperparameters(Example)
    typed = {h.name: h for h in hyperparameters}
    assert [h.name for h in hyperparameters] == ["lr", "beta1", "beta2", "steps", "nesterov"]
    assert typed["lr"].type is float and typed["lr"].default == 1.0 and typed["lr"].log
    assert typed["beta2"].high == 1.0 and not typed["beta2"].high_inclusive
    assert typed["steps"].type is int and typed["nesterov"].type is bool
    assert tuples == (("betas", ("beta1", "beta2")),)
    assert skipped == ("fn",)
    with pytest.raises(HyperparameterError):
        typed["beta1"].validate(1.0)


@pytest.mark.parametrize(
    ("cls", "reason"),
    [(samples.Untyped, "only \\*\\*kwargs"), (samples.NeedsArgument, "'lr' has no default")],
)
def test_an_untypable_signature_says_why(cls: type, reason: str) -> None:
    with pytest.raises(UntypedSignatureError, match=reason):
        infer_hyperparameters(cls)


def test_closure_need_is_read_from_step() -> None:
    assert needs_closure(torch.optim.LBFGS)
    assert not needs_closure(torch.optim.Adam)


def test_configured_plugins_join_the_catalog_and_bad_ones_say_why(plugins) -> None:
    registry = plugins(
        f"signsgd={SAMPLES}:SignSGD, untyped={SAMPLES}:Untyped, "
        f"needy={SAMPLES}:NeedsArgument, adam=torch.optim:Adam, gone=no_such_module:X"
    )
    sign = declaration("signsgd")
    assert sign.origin.source == "configuration" and sign.target == f"{SAMPLES}:SignSGD"
    assert [h.name for h in sign.hyperparameters] == ["lr", "weight_decay"]
    entries = {e["name"]: e for e in catalog()}
    assert entries["signsgd"]["available"]
    assert not entries["untyped"]["available"] and "kwargs" in entries["untyped"]["reason"]
    assert "'lr' has no default" in entries["needy"]["reason"]
    assert "ModuleNotFoundError" in entries["gone"]["reason"]
    # A plugin never shadows a built-in; the refusal names both claimants.
    assert declaration("adam").origin.source == "builtin"
    assert any("'adam'" in line and "built in" in line for line in registry.refusals)
    with pytest.raises(UnknownOptimizerError, match="unavailable"):
        declaration("untyped")


def test_two_plugins_with_one_name_are_both_refused(plugins) -> None:
    registry = plugins(f"twin={SAMPLES}:SignSGD, twin={SAMPLES}:NormalizedGD")
    assert "twin" not in registry
    assert any("SignSGD" in line and "NormalizedGD" in line for line in registry.refusals)


def test_a_plugin_runs_alone_and_as_a_wrapped_base(plugins) -> None:
    plugins(f"signsgd={SAMPLES}:SignSGD")
    for name in ("signsgd", "sam(signsgd)", "nim(signsgd)", "mbh(signsgd)"):
        model = small_model()
        opt = build(name, model.parameters(), model=model, **{"rho" if "(" in name else "lr": 0.05})
        assert opt.name == name
    declared = declaration("sam(signsgd)")
    assert [h.name for h in declared.hyperparameters] == ["rho", "base.lr", "base.weight_decay"]
    assert declared.origin.source == "configuration"
    assert all(r.passed for r in ConformanceCheck("sam(signsgd)").run()), "conformance"


def test_the_check_passes_a_sound_optimizer_and_names_what_breaks_the_others(plugins) -> None:
    plugins(
        f"signsgd={SAMPLES}:SignSGD, noisy={SAMPLES}:GlobalNoise, "
        f"forgetful={SAMPLES}:ForgetfulMomentum, boom={SAMPLES}:Explodes"
    )
    results = {r.name: r for r in ConformanceCheck("signsgd").run()}
    assert all(r.passed for r in results.values()), results
    noisy = {r.name: r for r in ConformanceCheck("noisy").run()}
    assert not noisy["global RNG untouched"].passed
    assert noisy["evaluations counted"].passed
    forgetful = {r.name: r for r in ConformanceCheck("forgetful").run()}
    assert not forgetful["resumes exactly"].passed
    assert "state_dict" in forgetful["resumes exactly"].detail
    assert forgetful["deterministic"].passed
    boom = ConformanceCheck("boom").run()
    assert not any(r.passed for r in boom)
    assert all(r.detail == "RuntimeError: the lab's optimizer blew up" for r in boom)


def test_a_hanging_step_fails_its_property_within_the_limit(plugins) -> None:
    plugins(f"hangs={SAMPLES}:Hangs")
    results = ConformanceCheck("hangs").run(seconds_per_property=0.5)
    assert all("took longer than 0.5 s" in r.detail for r in results)


def test_discovery_reuses_the_description_of_unchanged_packages(plugins, tmp_path) -> None:
    plugins(f"signsgd={SAMPLES}:SignSGD")
    cached = list((tmp_path / "cache").glob("plugins-*.json"))
    assert len(cached) == 1 and "SignSGD" in cached[0].read_text()


def test_wrapper_settings_never_collide_with_the_base(plugins) -> None:
    model = small_model()
    opt = build("bh(adam)", model.parameters(), model=model, eps=0.5, **{"base.eps": 1e-6})
    group = opt.param_groups[0]
    assert group["eps"] == 1e-6 and group["bh_eps"] == 0.5
    assert group is opt.base.param_groups[0]
    assert "lr" in inspect.signature(torch.optim.Adam).parameters
