#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The PyTorch peer of `npm run bench:gpu`: the melody LSTM on torch.nn.LSTM (cuDNN on a CUDA GPU).

Model, exactly Etude's melody-lstm: Embedding(V, E) -> LSTM(H) x L (batch_first) -> last step -> Linear(H, V),
cross-entropy on the token after the window; Adam (lr 1e-3, eps 1e-7 as tfjs/Etude), global-norm clip 5.
One training step = forward, backward, clip, Adam. Generation: batch 1, LSTM state carried, one token at a time,
sampled on the device and read back with .item() per token (Etude's decoder reads each step's logits back too).

Timing on CUDA: torch.cuda.Event pairs around the timed steps, after warm-up steps (cuDNN picks its algorithms
then); the median of the per-step times is reported. TF32 is OFF by default (both engines then compute in float32);
--tf32 turns it on for matmuls and cuDNN. On the CPU (no CUDA): time.perf_counter, labelled device "cpu".

Prints one JSON line: {"device": ..., "train_ms_per_step": ..., "generate_ms_128": ..., "tf32": ..., ...}
"""
import argparse
import json
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=64)
p.add_argument("--vocab", type=int, default=130)
p.add_argument("--embedding", type=int, default=256)
p.add_argument("--hidden", type=int, default=256)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--window", type=int, default=30)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--tokens", type=int, default=128)
p.add_argument("--tf32", action="store_true")
p.add_argument("--cpu", action="store_true", help="run on the CPU even when CUDA is available")
a = p.parse_args()

cuda = torch.cuda.is_available() and not a.cpu
dev = torch.device("cuda" if cuda else "cpu")
torch.backends.cuda.matmul.allow_tf32 = a.tf32
torch.backends.cudnn.allow_tf32 = a.tf32
torch.manual_seed(1)


class Melody(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(a.vocab, a.embedding)
        self.lstm = torch.nn.LSTM(a.embedding, a.hidden, num_layers=a.layers, batch_first=True)
        self.dense = torch.nn.Linear(a.hidden, a.vocab)

    def forward(self, x):
        out, _ = self.lstm(self.emb(x))
        return self.dense(out[:, -1, :])


model = Melody().to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.randint(0, a.vocab, (a.batch, a.window), device=dev)
y = torch.randint(0, a.vocab, (a.batch,), device=dev)


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss


def sync():
    if cuda:
        torch.cuda.synchronize()


for _ in range(a.warmup):
    step()
sync()
times = []
for _ in range(a.steps):
    if cuda:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    else:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
train_ms = statistics.median(times)


@torch.no_grad()
def generate(n):
    state = None
    token = torch.zeros((1, 1), dtype=torch.long, device=dev)
    out = []
    for _ in range(n):
        h, state = model.lstm(model.emb(token), state)
        probs = torch.softmax(model.dense(h[:, -1, :]), dim=-1)
        token = torch.multinomial(probs, 1)
        out.append(token.item())  # the per-token read-back, as Etude's sampler does on the host
    return out


model.eval()
generate(8)
sync()
gen = []
for _ in range(3):
    t0 = time.perf_counter()
    generate(a.tokens)
    sync()
    gen.append((time.perf_counter() - t0) * 1000)

print(
    json.dumps(
        {
            "device": torch.cuda.get_device_name(0) if cuda else "cpu",
            "torch": torch.__version__,
            "cudnn": torch.backends.cudnn.version() if cuda else None,
            "tf32": a.tf32,
            "batch": a.batch,
            "train_ms_per_step": train_ms,
            "generate_ms_128": statistics.median(gen),
            "timing": "cuda events after warm-up, median" if cuda else "perf_counter after warm-up, median",
        }
    )
)
