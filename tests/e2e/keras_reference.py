"""An independent reference for Sinter's Dense networks: PyTorch in float64
with the Keras 3 loss and optimizer formulas written out by hand.

Nothing here shares code with the compiler: the network is rebuilt from the
same Keras JSON, the losses follow keras/src/backend (probabilities clipped
to [1e-7, 1 - 1e-7]), and the updates follow keras/src/optimizers.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-7
torch.set_default_dtype(torch.float64)

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "swish": F.silu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
}


WEIGHT_NAMES = ("kernel", "bias", "gamma", "beta", "embeddings", "moving_mean",
                "moving_variance")


def frozen_params(model_json):
    """Weights the optimizer does not train: every weight of a layer with
    trainable: false, and BatchNormalization's moving statistics."""
    out = set()
    for layer in model_json["config"]["layers"]:
        cfg = layer["config"]
        name = layer.get("name") or cfg["name"]
        if cfg.get("trainable") is False:
            out |= {f"{name}.{w}" for w in WEIGHT_NAMES}
        if layer["class_name"] == "BatchNormalization":
            out |= {name + ".moving_mean", name + ".moving_variance"}
    return out


def _fmix32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def dropout_keep(shape, rate, seed, step):
    """Sinter's documented dropout mask (SinterOps.td, sinter.dropout_mask):
    element i of the row-major tensor is kept when u >= rate, u the top 24
    bits of fmix32(i * 0x9E3779B1 + fmix32(seed ^ fmix32(step)))."""
    with np.errstate(over="ignore"):
        key = _fmix32(np.array([seed & 0xFFFFFFFF], np.uint32)
                      ^ _fmix32(np.array([step], np.uint32)))
        i = np.arange(int(np.prod(shape)), dtype=np.uint32)
        h = _fmix32(i * np.uint32(0x9E3779B1) + key)
    u = (h >> np.uint32(8)).astype(np.float64) * 2.0 ** -24
    return torch.tensor((u >= np.float32(rate)).reshape(shape))


def dropout_seed(name, cfg):
    """The layer's seed, or FNV-1a of its name when Keras' seed is null."""
    if cfg.get("seed") is not None:
        return cfg["seed"]
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


class PoolRouting:
    """Where max pools send their gradient, for windows whose two largest
    values lie closer than float32 resolves (test_ops.check): `flips` maps a
    MaxPooling2D layer's name to windows (n, c, oh, ow) whose output is
    their runner-up, so that the gradient goes there; `inputs` collects
    each max pool's padded NCHW input, window and strides as the forward
    sees them, `grads` the gradient that reaches each pool's output (NCHW)
    when the forward's loss is differentiated."""

    def __init__(self, flips=None):
        self.flips = flips or {}
        self.inputs = {}
        self.grads = {}

    def pool(self, name, x, window, strides):
        self.inputs[name] = (x.detach(), window, strides)
        if name not in self.flips:
            out = F.max_pool2d(x, window, strides)
        else:
            out, at = F.max_pool2d(x, window, strides, return_indices=True)
            for n, c, oh, ow in self.flips[name]:
                at[n, c, oh, ow] = runner_up(x[n, c].detach(), window, strides, oh, ow)
            out = x.flatten(2).gather(2, at.flatten(2)).view_as(out)
        if out.requires_grad:
            out.register_hook(lambda g: self.grads.__setitem__(name, g.detach()))
        return out


def pool_windows(x, window, strides):
    """x: [n, c, h, w] -> its max pool's windows [n, c, oh, ow, ph * pw]."""
    (ph, pw), (sh, sw) = window, strides
    return x.unfold(2, ph, sh).unfold(3, pw, sw).flatten(4)


def pool_motion(model_json, params, inputs, directions=4, step=1e-6):
    """How each max pool's input moves with the parameters: {pool: [directions,
    n, c, h, w]}, its derivative along `directions` random directions of all
    parameters (a fixed seed), by central differences of the float64
    forward in training mode (as `gradients`)."""
    gen = torch.Generator().manual_seed(0)
    xs = {k: torch.tensor(v, dtype=torch.float64) for k, v in inputs.items()}
    base = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    motion = {}
    for _ in range(directions):
        towards = {k: torch.randn(p.shape, generator=gen, dtype=torch.float64)
                   for k, p in base.items()}
        ends = []
        for sign in (step, -step):
            seen = PoolRouting()
            forward(model_json, {k: p + sign * towards[k] for k, p in base.items()}, xs,
                    training=True, routing=seen)
            ends.append(seen.inputs)
        for name, (x, _, _) in ends[0].items():
            motion.setdefault(name, []).append((x - ends[1][name][0]) / (2 * step))
    return {name: torch.stack(m) for name, m in motion.items()}


def near_ties(routing, motion, bound=4e-6, most=4):
    """The max-pool windows (layer, (n, c, oh, ow)) of `routing` (a
    PoolRouting that `gradients` ran through) whose two largest values
    differ by less than `bound` relative to the largest (at least 1):
    closer than the float32 rounding of the sums before them, so float32
    may pick either. The `most` whose choice moves the parameters'
    gradients the most: the window's gradient times how differently its two
    values move with the parameters (`motion`, of pool_motion). Ties of a
    saturated tanh (1 - 1e-9 against 1 - 1e-10) are many and move nothing;
    a tie of 0.78 against 0.78 + 2e-6 moves a filter's gradient by 1 %.
    Ties that move nothing at all are left out: they explain nothing."""
    found = []
    for name, (x, window, strides) in routing.inputs.items():
        if window[0] * window[1] < 2:
            continue
        top = pool_windows(x, window, strides).topk(2, dim=-1)
        gap = (top.values[..., 0] - top.values[..., 1]) / top.values[..., 0].abs().clamp(min=1)
        moves = pool_windows(motion[name].flatten(0, 1), window, strides)
        moves = moves.unflatten(0, motion[name].shape[:2])
        moves = moves.gather(-1, top.indices.expand(moves.shape[:-1] + (2,)))
        apart = (moves[..., 0] - moves[..., 1]).pow(2).mean(0).sqrt()
        effect = routing.grads[name].abs() * apart
        for at in ((gap < bound) & (effect > 0)).nonzero().tolist():
            found.append((-float(effect[tuple(at)]), name, tuple(at)))
    return [(name, at) for _, name, at in sorted(found)[:most]]


def runner_up(plane, window, strides, oh, ow):
    """The flat index in `plane` ([h, w]) of window (oh, ow)'s second
    largest value."""
    (ph, pw), (sh, sw) = window, strides
    values = plane[oh * sh:oh * sh + ph, ow * sw:ow * sw + pw].flatten()
    a = int(torch.argsort(values, descending=True, stable=True)[1])
    return (oh * sh + a // pw) * plane.shape[1] + ow * sw + a % pw


def _apply(layer, params, args, step=None, kwargs=None, training=False, updates=None,
           routing=None):
    """One call of a Keras layer on a list of input tensors; `step` is the
    training step (None: Dropout is the identity); `training` selects
    BatchNormalization's batch statistics, whose moving averages go to
    `updates`; `kwargs` the call's keyword arguments; `routing` a
    PoolRouting for max pools."""
    cls, cfg = layer["class_name"], layer["config"]
    name = layer.get("name") or cfg["name"]
    kwargs = kwargs or {}
    if cls == "Dense":
        h = args[0] @ params[name + ".kernel"]
        if cfg.get("use_bias", True):
            h = h + params[name + ".bias"]
        return ACTIVATIONS[cfg.get("activation") or "linear"](h)
    if cls == "Activation":
        return ACTIVATIONS[cfg["activation"]](args[0])
    if cls == "ReLU":
        return torch.relu(args[0])
    if cls == "Softmax":
        return torch.softmax(args[0], dim=cfg.get("axis", -1))
    if cls == "Add":
        return sum(args[1:], args[0])
    if cls == "Subtract":
        return args[0] - args[1]
    if cls == "Multiply":
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if cls == "Average":
        return sum(args[1:], args[0]) / len(args)
    if cls == "Concatenate":
        return torch.cat(args, dim=cfg.get("axis", -1))
    if cls == "Flatten":
        return args[0].reshape(args[0].shape[0], -1)
    if cls == "Reshape":
        return args[0].reshape(args[0].shape[0], *cfg["target_shape"])
    if cls == "Permute":
        return args[0].permute(0, *cfg["dims"])
    if cls == "Rescaling":
        return args[0] * cfg["scale"] + cfg.get("offset", 0.0)
    if cls == "Conv2D":
        w = params[name + ".kernel"].permute(3, 2, 0, 1).contiguous()  # [kh,kw,in,out] -> OIHW
        x = _pad_same(args[0], cfg, w.shape[2:], cfg.get("dilation_rate", [1, 1]), 0.0)
        h = F.conv2d(x, w, stride=_pair(cfg.get("strides", 1)),
                     dilation=_pair(cfg.get("dilation_rate", 1)), groups=cfg.get("groups", 1))
        if cfg.get("use_bias", True):
            h = h + params[name + ".bias"].reshape(1, -1, 1, 1)
        return ACTIVATIONS[cfg.get("activation") or "linear"](_nhwc(h))
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        pool = _pair(cfg.get("pool_size", 2))
        strides = _pair(cfg.get("strides") or pool)
        pool_cfg = dict(cfg, strides=strides)
        if cls == "MaxPooling2D":
            x = _pad_same(args[0], pool_cfg, pool, [1, 1], float("-inf"))
            if routing is not None:
                return _nhwc(routing.pool(name, x, pool, strides))
            return _nhwc(F.max_pool2d(x, pool, strides))
        # Keras averages over the real elements only (pads not counted).
        x = _pad_same(args[0], pool_cfg, pool, [1, 1], 0.0)
        ones = _pad_same(torch.ones_like(args[0][..., :1]), pool_cfg, pool, [1, 1], 0.0)
        total = F.avg_pool2d(x, pool, strides, divisor_override=1)
        count = F.avg_pool2d(ones, pool, strides, divisor_override=1)
        return _nhwc(total / count)
    if cls == "Dropout":
        if step is None:
            return args[0]
        rate = float(np.float32(cfg["rate"]))
        keep = dropout_keep(tuple(args[0].shape), rate, dropout_seed(name, cfg), step)
        return torch.where(keep, args[0] / (1 - rate), torch.zeros_like(args[0]))
    if cls == "Embedding":
        table = params[name + ".embeddings"]
        return table[args[0].long().clamp(0, table.shape[0] - 1)]
    if cls == "PositionEmbedding":
        return args[0] + params[name + ".embeddings"]
    if cls == "LayerNormalization":
        x, eps = args[0], cfg.get("epsilon", 1e-3)
        if cfg.get("rms_scaling"):
            return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * params[name + ".gamma"]
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return _scale_center((x - mean) / torch.sqrt(var + eps), name, cfg, params)
    if cls == "BatchNormalization":
        # keras/src/layers/normalization/batch_normalization.py: biased batch
        # variance; moving = moving * momentum + batch * (1 - momentum); a
        # frozen layer runs in inference mode.
        x, eps, momentum = args[0], cfg.get("epsilon", 1e-3), cfg.get("momentum", 0.99)
        moving_mean = params[name + ".moving_mean"]
        moving_var = params[name + ".moving_variance"]
        if training and cfg.get("trainable") is not False:
            dims = tuple(range(x.dim() - 1))
            mean, var = x.mean(dims), x.var(dims, unbiased=False)
            if updates is not None:
                updates[name + ".moving_mean"] = \
                    moving_mean * momentum + mean.detach() * (1 - momentum)
                updates[name + ".moving_variance"] = \
                    moving_var * momentum + var.detach() * (1 - momentum)
        else:
            mean, var = moving_mean, moving_var
        return _scale_center((x - mean) / torch.sqrt(var + eps), name, cfg, params)
    if cls == "RMSNormalization":
        x = args[0]
        eps = cfg.get("epsilon", 1e-6)
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * params[name + ".scale"]
    if cls == "GlobalAveragePooling1D":
        return args[0].mean(dim=1, keepdim=bool(cfg.get("keepdims")))
    if cls == "MultiHeadAttention":
        return _attention(name, cfg, params, args, kwargs)
    if cls == "GlobalAveragePooling2D":
        out = args[0].mean(dim=(1, 2), keepdim=bool(cfg.get("keepdims")))
        return out
    if cls == "GlobalMaxPooling2D":
        return args[0].amax(dim=(1, 2), keepdim=bool(cfg.get("keepdims")))
    if cls == "LeakyReLU":
        return F.leaky_relu(args[0], cfg.get("negative_slope", 0.3))
    raise ValueError(cls)


def _scale_center(y, name, cfg, params):
    """A normalization's gamma and beta, where the config has them."""
    if cfg.get("scale", True):
        y = y * params[name + ".gamma"]
    if cfg.get("center", True):
        y = y + params[name + ".beta"]
    return y


def _attention(name, cfg, params, args, kwargs):
    """Keras MultiHeadAttention on [b, t, d] tensors (its einsum equations)."""
    query = args[0]
    value = args[1] if len(args) > 1 else query
    key = args[2] if len(args) > 2 else value
    use_bias = cfg.get("use_bias", True)

    def dense(x, part, eq):
        y = torch.einsum(eq, x, params[f"{name}.{part}.kernel"])
        return y + params[f"{name}.{part}.bias"] if use_bias else y

    q = dense(query, "query", "abc,cde->abde")
    k = dense(key, "key", "abc,cde->abde")
    v = dense(value, "value", "abc,cde->abde")
    q = q * (1.0 / float(cfg["key_dim"]) ** 0.5)
    scores = torch.einsum("aecd,abcd->acbe", k, q)  # [b, heads, t, s]
    if kwargs.get("use_causal_mask"):
        t, s_ = scores.shape[-2:]
        future = torch.triu(torch.ones(t, s_, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    mixed = torch.einsum("acbe,aecd->abcd", probs, v)
    return dense(mixed, "attention_output", "abcd,cde->abe")


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _nhwc(t):
    return t.permute(0, 2, 3, 1)


def _pad_same(x_nhwc, cfg, window, dilation, value):
    """NHWC -> NCHW, padded as Keras' "same" (TensorFlow's rule: the odd
    element after) or not at all for "valid"."""
    x = x_nhwc.permute(0, 3, 1, 2)
    if cfg.get("padding", "valid") != "same":
        return x
    pads = []
    for size, k, s, d in zip(x.shape[2:], window, _pair(cfg.get("strides", 1)),
                             _pair(dilation)):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom), value=value)


def _node_refs(node):
    """[(layer, node index)] read by one inbound node (Keras 3 or 2)."""
    if isinstance(node, dict):
        tensors = []
        for arg in node["args"]:
            tensors += arg if isinstance(arg, list) else [arg]
        return [tuple(t["config"]["keras_history"][:2]) for t in tensors]
    return [tuple(entry[:2]) for entry in node]


def _triples(v):
    return [v] if isinstance(v[0], str) else v


def forward(model_json, params, inputs, step=None, training=False, updates=None,
            routing=None):
    """`inputs`: {input layer name: tensor} (Sequential: {"input": x});
    `step`: the training step (Dropout's masks), or None; `training`: batch
    statistics in BatchNormalization, whose new moving statistics go to
    `updates`; `routing`: a PoolRouting for the max pools."""
    layers = model_json["config"]["layers"]
    mode = {"training": training, "updates": updates, "routing": routing}
    if model_json["class_name"] == "Sequential":
        h = inputs["input"]
        for layer in layers:
            if layer["class_name"] != "InputLayer":
                h = _apply(layer, params, [h], step, **mode)
        return h
    by_name = {(l.get("name") or l["config"]["name"]): l for l in layers}
    produced = {name: [x] for name, x in inputs.items()}
    pending = [(name, i, node) for name, l in by_name.items()
               if l["class_name"] != "InputLayer"
               for i, node in enumerate(l["inbound_nodes"])]
    while pending:
        for item in list(pending):
            name, i, node = item
            refs = _node_refs(node)
            if len(produced.get(name, [])) != i or any(
                    n >= len(produced.get(l, [])) for l, n in refs):
                continue
            args = [produced[l][n] for l, n in refs]
            kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
            produced.setdefault(name, []).append(
                _apply(by_name[name], params, args, step, kwargs, **mode))
            pending.remove(item)
    out = _triples(model_json["config"]["output_layers"])[0]
    return produced[out[0]][out[1]]


def penalties(model_json, params):
    """Keras' regularization losses: l1 * sum|w| + l2 * sum w^2 for each
    `<weight>_regularizer` (kernel, bias, gamma, beta) of a trainable layer."""
    total = 0.0
    for layer in model_json["config"]["layers"]:
        cfg = layer["config"]
        if cfg.get("trainable") is False:
            continue
        name = layer.get("name") or cfg["name"]
        for weight in ("kernel", "bias", "gamma", "beta"):
            reg = cfg.get(weight + "_regularizer")
            if not reg or name + "." + weight not in params:
                continue
            cls = (reg if isinstance(reg, str) else reg["class_name"]).lower()
            opts = {} if isinstance(reg, str) else reg.get("config", {})
            both = cls in ("l1l2", "l1_l2")
            l1 = opts.get("l1", 0.0 if both else 0.01) if "l1" in cls else 0.0
            l2 = opts.get("l2", 0.0 if both else 0.01) if "l2" in cls else 0.0
            w = params[name + "." + weight]
            total = total + l1 * w.abs().sum() + l2 * (w * w).sum()
    return total


def loss_fn(name, p, t):
    if name == "mean_squared_error":
        return ((p - t) ** 2).mean(dim=-1).mean()
    if name == "binary_crossentropy":
        pc = p.clamp(EPS, 1 - EPS)
        return (-(t * torch.log(pc) + (1 - t) * torch.log(1 - pc))).mean(dim=-1).mean()
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        if name == "sparse_categorical_crossentropy":
            t = torch.nn.functional.one_hot(t.long(), p.shape[-1]).to(p.dtype)
        q = (p / p.sum(dim=-1, keepdim=True)).clamp(EPS, 1 - EPS)
        return (-(t * torch.log(q)).sum(dim=-1)).mean()
    raise ValueError(name)


class Optimizer:
    """Keras 3 update rules; `iterations` counts finished steps."""

    def __init__(self, cfg, params):
        self.cfg = cfg
        self.name = cfg["name"]
        self.iterations = 0
        zeros = lambda: {k: torch.zeros_like(v) for k, v in params.items()}
        self.m, self.v, self.vhat, self.a = zeros(), zeros(), zeros(), zeros()

    def step(self, params, grads, lr):
        c = self.cfg
        grads = dict(grads)
        if c.get("clipnorm"):  # each gradient to the norm, before the update
            for k in params:
                g = grads[k]
                grads[k] = g * c["clipnorm"] / torch.clamp(g.norm(), min=c["clipnorm"])
        elif c.get("global_clipnorm"):  # all trained gradients together
            total = torch.sqrt(sum((grads[k] ** 2).sum() for k in params))
            for k in params:
                grads[k] = grads[k] * c["global_clipnorm"] / torch.clamp(
                    total, min=c["global_clipnorm"])
        for k, p in params.items():
            g = grads[k]
            if c.get("weight_decay"):  # decoupled, before the update
                p -= p * c["weight_decay"] * lr
            if self.name == "sgd":
                mom = c["momentum"]
                if mom != 0:
                    self.m[k] = self.m[k] * mom - g * lr
                    if c["nesterov"]:
                        p += self.m[k] * mom - g * lr
                    else:
                        p += self.m[k]
                else:
                    p -= g * lr
            elif self.name in ("adam", "adamw"):
                t = self.iterations + 1
                alpha = lr * (1 - c["beta_2"] ** t) ** 0.5 / (1 - c["beta_1"] ** t)
                self.m[k] += (g - self.m[k]) * (1 - c["beta_1"])
                self.v[k] += (g * g - self.v[k]) * (1 - c["beta_2"])
                v = self.v[k]
                if c["amsgrad"]:
                    self.vhat[k] = torch.maximum(self.vhat[k], v)
                    v = self.vhat[k]
                p -= self.m[k] * alpha / (torch.sqrt(v) + c["epsilon"])
            elif self.name == "rmsprop":
                rho = c["rho"]
                self.v[k] = rho * self.v[k] + (1 - rho) * g * g
                if c["centered"]:
                    self.a[k] = rho * self.a[k] + (1 - rho) * g
                    den = self.v[k] - self.a[k] ** 2 + c["epsilon"]
                else:
                    den = self.v[k] + c["epsilon"]
                inc = lr * g / torch.sqrt(den)
                if c["momentum"] > 0:
                    self.m[k] = c["momentum"] * self.m[k] + inc
                    p -= self.m[k]
                else:
                    p -= inc
            else:
                raise ValueError(self.name)
        self.iterations += 1


def learning_rate(opt_cfg, iteration):
    """The optimizer's learning rate after `iteration` steps: a number, or a
    keras.optimizers.schedules object (Keras' formulas)."""
    lr = opt_cfg["learning_rate"]
    if not isinstance(lr, dict):
        return lr
    cls, c = lr["class_name"], lr["config"]
    step = float(iteration)
    if cls == "PiecewiseConstantDecay":
        for boundary, value in zip(c["boundaries"], c["values"]):
            if step <= boundary:
                return value
        return c["values"][-1]
    if cls == "ExponentialDecay":
        p = step / c["decay_steps"]
        if c.get("staircase"):
            p = math.floor(p)
        return c["initial_learning_rate"] * c["decay_rate"] ** p
    if cls == "CosineDecay":
        steps, alpha = c["decay_steps"], c.get("alpha", 0.0)

        def decay(t, start):
            return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / steps)) + alpha)
        if c.get("warmup_target") is None:
            return decay(min(step, steps), c["initial_learning_rate"])
        warmup = c.get("warmup_steps", 0)
        step = min(step, steps + warmup)
        if step < warmup:
            return (c["warmup_target"] - c["initial_learning_rate"]) * step / warmup \
                + c["initial_learning_rate"]
        return decay(step - warmup, c["warmup_target"])
    raise ValueError(cls)


def train(model_json, loss, opt_cfg, params, x, y, epochs, batch):
    """Trains without shuffling; returns the per-step losses (before each
    update) and the final parameters. `x`: {input name: array}."""
    params = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    x = {k: torch.tensor(v, dtype=torch.float64) for k, v in x.items()}
    rows = next(iter(x.values())).shape[0]
    y = torch.tensor(y)
    if y.dtype != torch.int64 and y.dtype != torch.int32:
        y = y.to(torch.float64)
    opt = Optimizer(opt_cfg, params)
    frozen = frozen_params(model_json)
    losses = []
    for _ in range(epochs):
        for b in range(0, rows, batch):
            xb = {k: v[b:b + batch] for k, v in x.items()}
            yb = y[b:b + batch]
            leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
            updates = {}
            pred = forward(model_json, leaves, xb, opt.iterations, True, updates)
            value = loss_fn(loss, pred, yb) + penalties(model_json, leaves)
            grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
            grads = {k: (g if g is not None else torch.zeros_like(params[k]))
                     for k, g in zip(leaves, grads)}
            losses.append(value.item())
            with torch.no_grad():
                opt.step({k: v for k, v in params.items() if k not in frozen},
                         grads, learning_rate(opt_cfg, opt.iterations))
                for k, v in updates.items():
                    params[k].copy_(v)
    return losses, {k: v.numpy() for k, v in params.items()}


def gradients(model_json, loss, params, x, y, dtype=torch.float64, routing=None):
    """(loss, {parameter: gradient}) in `dtype`: float64 is the reference;
    float32 tells whether a network is too ill-conditioned for it (see
    test_ops.check); `routing`: a PoolRouting for the max pools."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        leaves = {k: torch.tensor(v, dtype=dtype, requires_grad=True)
                  for k, v in params.items()}
        yt = torch.tensor(y)
        if yt.dtype not in (torch.int64, torch.int32):
            yt = yt.to(dtype)
        xt = {k: torch.tensor(v, dtype=dtype) for k, v in x.items()}
        # Training mode without Dropout, as Sinter's gradients entry point.
        value = loss_fn(loss, forward(model_json, leaves, xt, training=True,
                                      routing=routing), yt) \
            + penalties(model_json, leaves)
        grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
    finally:
        torch.set_default_dtype(default)
    frozen = frozen_params(model_json)
    return value.item(), {k: (torch.zeros_like(leaves[k]) if k in frozen or g is None else g)
                          .detach().numpy() for k, g in zip(leaves, grads)}
