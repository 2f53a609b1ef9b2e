"""Which configurations the numpy engine trains exactly, and so which engine "auto" picks.

Exact means the same equations autograd differentiates, in the same float32, on the same
parameters: on the CPU, for an nnviz.MLP whose parameters are float32, trainable and unhooked, with
an activation and a loss that carry numpy forms. Anything else trains by autograd.
"""

from __future__ import annotations

import torch
from torch import nn

from nnviz.core.losses import Loss
from nnviz.core.model import MLP

ENGINES = ("auto", "autograd", "numpy")


def refusal(model: nn.Module, loss: Loss, device: torch.device) -> str | None:
    """Why the numpy engine would not train this configuration exactly; None when it would."""
    if device.type != "cpu":
        return f"it runs on the CPU, and device={str(device)!r}"
    if not isinstance(model, MLP) or type(model).forward is not MLP.forward:
        return f"it knows the forward pass of nnviz.MLP only, and the model is a {type(model)}"
    layers = list(model.layers)
    expected = [p for layer in layers for p in (layer.weight, layer.bias)]
    parameters = list(model.parameters())
    if not all(type(layer) is nn.Linear for layer in layers) or [id(p) for p in parameters] != [
        id(p) for p in expected
    ]:
        return "the model has parameters or layers other than the MLP's Linear layers"
    if any(p.dtype != torch.float32 for p in parameters):
        return f"its arithmetic is float32, and the parameters are {parameters[0].dtype}"
    if not all(p.requires_grad for p in parameters):
        return "some parameters are frozen (requires_grad=False)"
    if any(getattr(p, "_backward_hooks", None) for p in parameters) or any(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
        for module in model.modules()
    ):
        return "the model has hooks, which only a forward pass through the module fires"
    if model.dropout:
        return f"it has no dropout, and the model drops hidden neurons (dropout={model.dropout:g})"
    activation = model.activation
    if activation.numpy_function is None or activation.numpy_derivative is None:
        return f"activation {activation.name!r} has no numpy form"
    if loss.numpy_cost is None or loss.numpy_metric is None:
        return f"loss {loss.name!r} has no numpy form"
    return None


def choose_engine(engine: str, model: nn.Module, loss: Loss, device: torch.device) -> str:
    """The engine that trains: `engine` ("auto", "autograd" or "numpy", checked by the caller),
    with "auto" resolved to numpy where it is exact; ValueError for a numpy it cannot run."""
    if engine == "autograd":
        return "autograd"
    reason = refusal(model, loss, device)
    if reason is None:
        return "numpy"
    if engine == "numpy":
        raise ValueError(
            f"engine='numpy' cannot train this configuration exactly: {reason}; "
            "use engine='autograd' (or 'auto', which picks it here)"
        )
    return "autograd"
