import pytest
import torch

from helpers import models


@pytest.mark.parametrize("encoder", [models.MLPEncoder(z_dim=5), models.MLPEncoder(hidden=(32, 16), z_dim=5),
                                     models.ConvEncoder(z_dim=5, channels=8)])
def test_encoders_return_mean_and_log_variance(encoder):
    for x in (torch.rand(3, 784), torch.rand(3, 1, 28, 28)):
        mean, log_variance = encoder(x)
        assert mean.shape == (3, 5) and log_variance.shape == (3, 5)
    assert not torch.equal(mean, log_variance)


def test_decoders_output_shapes():
    z = torch.randn(4, 6)
    assert models.MLPDecoder(z_dim=6, hidden=20).forward(z).shape == (4, 784)
    assert models.MLPDecoder(z_dim=6, hidden=(20, 30), out_dim=64)(z).shape == (4, 64)
    assert models.ConvDecoder(z_dim=6, channels=8)(z).shape == (4, 1, 28, 28)


def test_mlp_uses_tanh_hidden_layers():
    layers = [type(m).__name__ for m in models.MLPEncoder(hidden=(10, 10)).net]
    assert layers == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]


def test_mlp_activation_can_be_chosen():
    layers = [type(m).__name__ for m in models.MLPDecoder(z_dim=3, hidden=(10, 10), activation="elu").net]
    assert layers == ["Linear", "ELU", "Linear", "ELU", "Linear"]
    with pytest.raises(ValueError, match="activation must be one of"):
        models.MLPEncoder(activation="sigmoid")


def test_conv_decoder_starts_with_a_linear_layer_from_the_latent():
    first = models.ConvDecoder(z_dim=7).net[0]
    assert isinstance(first, torch.nn.Linear) and first.in_features == 7


def test_gradients_flow_through_encoder_and_decoder():
    encoder, decoder = models.ConvEncoder(z_dim=3, channels=4), models.ConvDecoder(z_dim=3, channels=4)
    mean, log_variance = encoder(torch.rand(2, 1, 28, 28))
    decoder(mean + log_variance.exp()).sum().backward()
    assert all(p.grad is not None for p in [*encoder.parameters(), *decoder.parameters()])


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        models.MLPEncoder()(torch.rand(3, 100))
    with pytest.raises(TypeError, match="torch.Tensor"):
        models.MLPEncoder()([[0.0] * 784])
    with pytest.raises(TypeError, match="floating"):
        models.MLPEncoder()(torch.zeros(3, 784, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 20\)"):
        models.MLPDecoder()(torch.rand(3, 10))
    with pytest.raises(ValueError, match="z_dim"):
        models.ConvDecoder(z_dim=0)
    with pytest.raises(ValueError, match="hidden"):
        models.MLPEncoder(hidden=(10, -1))
