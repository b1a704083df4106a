"""PyTorch's float32 matmul throughput, in the line format of `./backprop bench sgemm`.

Usage: /usr/bin/python3 torch_sgemm.py [REPEATS] [THREADS]
Prints `sgemm n N gflops G` for square n = 256..2048, then
`sgemm shape NAME m M n N k K op OP gflops G` for the training recipes' products (the list in
src/Backprop.Cli/Bench/SgemmBenchmark.cs): OP's letters say whether A and B are read transposed
(stored k x m and n x k), here through transposed views as the layers' autograd passes them.
Each figure is the best of REPEATS timed runs after a warm-up.
"""
import sys
import time

import torch

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)


def best_seconds(a, b, c, flops):
    inner = max(1, int(2e9 / flops))
    torch.mm(a, b, out=c)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b, out=c)
        best = min(best, (time.perf_counter() - start) / inner)
    return best


for n in (256, 512, 1024, 2048):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    c = a @ b
    print(f"sgemm n {n} gflops {2.0 * n ** 3 / best_seconds(a, b, c, 2.0 * n ** 3) / 1e9:.1f}", flush=True)

SHAPES = [
    ("mlp.fc1.forward", 128, 256, 784, False, True),
    ("mlp.fc1.weight_grad", 256, 784, 128, True, False),
    ("mlp.fc2.forward", 128, 128, 256, False, True),
    ("mlp.fc2.weight_grad", 128, 256, 128, True, False),
    ("mlp.fc2.input_grad", 128, 256, 128, False, False),
    ("lstm.input.forward", 3584, 512, 28, False, True),
    ("lstm.hidden.forward", 128, 512, 128, False, True),
    ("lstm.weight_grad", 512, 156, 3584, True, False),
    ("lstm.hidden.input_grad", 128, 128, 512, False, False),
]
for name, m, n, k, trans_a, trans_b in SHAPES:
    a = torch.rand(k, m).t() if trans_a else torch.rand(m, k)
    b = torch.rand(n, k).t() if trans_b else torch.rand(k, n)
    c = torch.empty(m, n)
    flops = 2.0 * m * n * k
    op = ("t" if trans_a else "n") + ("t" if trans_b else "n")
    print(f"sgemm shape {name} m {m} n {n} k {k} op {op} gflops {flops / best_seconds(a, b, c, flops) / 1e9:.1f}", flush=True)
