"""helpers.testing: what the hidden tests share."""

import pytest
import torch

from helpers.models import MLPDecoder, MLPEncoder
from helpers.testing import RecordingDecoder, RecordingEncoder, check_close, near, scalar, substituted


def test_substituted_binds_then_restores():
    namespace = {"f": "student's f"}
    with substituted(namespace, f="reference f", g="reference g"):
        assert namespace == {"f": "reference f", "g": "reference g"}
    assert namespace == {"f": "student's f"}


def test_substituted_restores_after_an_exception():
    namespace = {"f": 1}
    with pytest.raises(AssertionError), substituted(namespace, f=2):
        raise AssertionError("a failing test")
    assert namespace == {"f": 1}


def test_a_student_function_sees_the_reference_while_substituted():
    namespace: dict = {}
    exec("def helper(x):\n    return 'student'\n\ndef caller(x):\n    return helper(x)\n", namespace)  # noqa: S102
    with substituted(namespace, helper=lambda x: "reference"):
        assert namespace["caller"](0) == "reference"
    assert namespace["caller"](0) == "student"


def test_scalar_accepts_a_plain_finite_scalar():
    assert scalar(torch.tensor(2.5, requires_grad=True) * 2, "loss") == 5.0


@pytest.mark.parametrize("value,message", [
    (2.5, "plain torch.Tensor"),
    (torch.ones(3), "scalar"),
    (torch.tensor(float("nan")), "not finite"),
])
def test_scalar_says_what_is_off(value, message):
    with pytest.raises(AssertionError, match=message):
        scalar(value, "loss")


def test_scalar_rejects_a_tensor_subclass():
    class Sly(torch.Tensor):
        pass

    with pytest.raises(AssertionError, match="plain torch.Tensor"):
        scalar(torch.tensor(1.0).as_subclass(Sly), "loss")


def test_near_is_relative_with_an_absolute_floor():
    assert near(100.0, 100.005) and not near(100.0, 100.02)
    assert near(0.0, 5e-5) and not near(0.0, 2e-4)


# --- RecordingEncoder, RecordingDecoder --------------------------------------------------------------------------


def test_recording_encoder_is_a_fixed_mlp_encoder_that_records():
    encoder = RecordingEncoder(5, 2, seed=3, logvar_bias=-1.5)
    assert isinstance(encoder, MLPEncoder)
    assert torch.equal(encoder.net[0].weight, RecordingEncoder(5, 2, seed=3, logvar_bias=-1.5).net[0].weight)
    v = torch.randn(4, 5)
    mu, logvar = encoder(v)
    assert mu.shape == logvar.shape == (4, 2)
    assert torch.equal(logvar, torch.full((4, 2), -1.5)), "the log-variance is the bias alone by default"
    assert mu.std() > 0 and len(encoder.inputs) == 1 and torch.equal(encoder.inputs[0], v)
    assert not encoder.inputs[0].requires_grad
    varying = RecordingEncoder(5, 2, seed=3, logvar_scale=0.3)
    assert torch.equal(varying(v)[0], mu), "the log-variance weights are drawn after the mean's"
    assert varying(v)[1].std() > 0


def test_recording_networks_say_what_width_they_expect():
    with pytest.raises(AssertionError, match=r"width 4, not 5: append"):
        RecordingEncoder(5, 2, seed=0, what=": append")(torch.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"width 3, not 2 \(z_dim"):
        RecordingDecoder(2, 7, seed=0, what=" (z_dim + n_classes)")(torch.zeros(3, 3))


def test_recording_decoder_is_a_fixed_mlp_decoder_that_records():
    decoder = RecordingDecoder(3, 7, seed=4)
    assert isinstance(decoder, MLPDecoder)
    z = torch.randn(6, 3, requires_grad=True)
    logits = decoder(z)
    assert logits.shape == (6, 7) and logits.requires_grad
    assert torch.equal(decoder.inputs[-1], z.detach()) and not decoder.inputs[-1].requires_grad
    assert torch.equal(logits, RecordingDecoder(3, 7, seed=4)(z))
def test_check_close_passes_close_values_in_any_float_dtype():
    check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7], dtype=torch.float64), "x")
    check_close(torch.tensor(3.0, dtype=torch.float64, requires_grad=True) * 1, 3.0, "x")


def test_check_close_names_the_mistake_it_matches():
    want = torch.tensor([1.0, 2.0], dtype=torch.float64)
    mistakes = [("twice: did you forget the 1/2?", 2 * want), ("the sign is wrong", -want)]
    with pytest.raises(AssertionError, match=r"^the KL is off: the sign is wrong$"):
        check_close(-want.float(), want, "the KL", mistakes)


def test_check_close_without_a_matching_mistake_says_by_how_much_not_the_value():
    with pytest.raises(AssertionError, match=r"off by up to 0\.5 \(relative 0\.25\); none of the usual") as failed:
        check_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "x", [("half", torch.tensor([0.5, 1.0]))])
    assert "2.0" not in str(failed.value) and "tensor" not in str(failed.value)


@pytest.mark.parametrize("got,message", [
    ([1.0, 2.0], "must be a torch.Tensor, got list"),
    (torch.ones(3), r"has shape \(3,\), expected \(2,\)"),
])
def test_check_close_checks_type_and_shape_first(got, message):
    with pytest.raises(AssertionError, match=message):
        check_close(got, torch.ones(2), "x")
