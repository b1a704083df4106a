"""PyTorch's square float32 matmul throughput, in the line format of `./backprop bench sgemm`.

Usage: /usr/bin/python3 torch_sgemm.py [REPEATS] [THREADS]
Prints `sgemm n N gflops G` for n = 256..2048: the best of REPEATS timed runs after a warm-up.
"""
import sys
import time

import torch

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
for n in (256, 512, 1024, 2048):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    c = a @ b
    inner = max(1, int(2e9 / (2.0 * n ** 3)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            c = torch.mm(a, b, out=c)
        best = min(best, (time.perf_counter() - start) / inner)
    print(f"sgemm n {n} gflops {2.0 * n ** 3 / best / 1e9:.1f}", flush=True)
