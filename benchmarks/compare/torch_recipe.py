"""The default training recipes of `backprop train --data fashion-mnist` (MLP and --model cnn),
written in PyTorch so the engine's accuracy can be compared on the same recipe.
Usage: /usr/bin/python3 torch_recipe.py {mlp|cnn} [EPOCHS] [SEED] [THREADS]
Needs Debian packages python3-torch, libopenblas0-pthread and dataset-fashion-mnist.
Prints `KIND epoch N train_loss L test_acc A epoch_s S` per epoch, as torch_fmnist.py does.

Recipe (both models, as `backprop train` prints it at the start): pixels scaled to [0,1];
training images flipped horizontally with p 0.5 per sample; AdamW (weight decay 0.05, on every
parameter); OneCycleLR per step (max_lr, pct_start 0.2 = 4 of 20 epochs, cosine, div_factor 25,
final_div_factor 1e4, Adam's beta1 cycled 0.95 -> 0.85 -> 0.95: PyTorch's defaults); batch 128;
cross-entropy with label smoothing 0.1; 20 epochs.
  mlp: 784 -> 512 BN ReLU Dropout 0.2 -> 256 BN ReLU Dropout 0.2 -> 10, max_lr 2e-3
  cnn: conv 1->32 3x3 pad 1, BN, ReLU, maxpool 2 -> conv 32->64 3x3 pad 1, BN, ReLU, maxpool 2
       -> Dropout 0.25 -> 3136 -> 128 ReLU -> Dropout 0.25 -> 10, max_lr 3e-3
Settings can be overridden for experiments with environment variables (see CONFIG)."""
import gzip, os, struct, sys, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
D = "/usr/share/datasets/fashion-mnist/"
CONFIG = {k: os.environ.get("RECIPE_" + k.upper(), v) for k, v in {
    "max_lr": "", "wd": "0.05", "smooth": "0.1", "crop": "0", "flip": "1", "pct": "0.2",
    "dropout": "", "batch": "128", "arch": ""}.items()}
def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4]); nd = magic & 0xff
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)
def load():
    xtr = idx(D + "train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    ytr = idx(D + "train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = idx(D + "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yte = idx(D + "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return [torch.from_numpy(a).unsqueeze(1) if a.ndim == 3 else torch.from_numpy(a) for a in (xtr, ytr, xte, yte)] + [0.0]
def mlp(p):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(p), nn.Linear(256, 10))
def cnn(p):
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(p), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, 10))
def augment(x, pad, flip, zero):
    """Per-sample random crop of the zero-padded image (zero: the value of a black pixel) and horizontal flip."""
    n = x.shape[0]
    if pad > 0:
        padded = F.pad(x, (pad, pad, pad, pad), value=zero)
        dy = torch.randint(0, 2 * pad + 1, (n,)); dx = torch.randint(0, 2 * pad + 1, (n,))
        rows = (dy[:, None] + torch.arange(28))[:, :, None]; cols = (dx[:, None] + torch.arange(28))[:, None, :]
        x = padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)
    if flip:
        m = torch.rand(n) < 0.5
        x = torch.where(m[:, None, None, None], x.flip(-1), x)
    return x
def main():
    kind = sys.argv[1]; epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0; threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(threads); torch.manual_seed(seed)
    xtr, ytr, xte, yte, zero = load()
    p = float(CONFIG["dropout"] or (0.2 if kind == "mlp" else 0.25))
    model = {"mlp": mlp, "cnn": cnn}[kind](p)
    max_lr = float(CONFIG["max_lr"] or (2e-3 if kind == "mlp" else 3e-3))
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=float(CONFIG["wd"]))
    B = int(CONFIG["batch"]); steps = (len(xtr) + B - 1) // B
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps, pct_start=float(CONFIG["pct"]), anneal_strategy="cos")
    smooth = float(CONFIG["smooth"]); pad = int(CONFIG["crop"]); flip = CONFIG["flip"] == "1"
    for ep in range(epochs):
        t = time.perf_counter(); perm = torch.randperm(len(xtr)); tot = 0.0
        model.train()
        for i in range(0, len(xtr), B):
            j = perm[i:i + B]
            opt.zero_grad(); loss = F.cross_entropy(model(augment(xtr[j], pad, flip, zero)), ytr[j], label_smoothing=smooth)
            loss.backward(); opt.step(); sched.step(); tot += loss.item() * len(j)
        dt = time.perf_counter() - t
        model.eval()
        with torch.no_grad(): acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"{kind} epoch {ep+1} train_loss {tot/len(xtr):.4f} test_acc {acc:.4f} epoch_s {dt:.2f}", flush=True)
main()
