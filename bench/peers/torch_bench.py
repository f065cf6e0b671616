"""PyTorch side of the peer benchmark (see bench/peers/protocol.ts for the workloads).

Prints one JSON line on stdout: the result, or {"framework": "PyTorch", "skipped": reason}.

    python3 bench/peers/torch_bench.py [--quick] [--threads N]

Run it through bench/run.ts, which puts OpenBLAS first on LD_LIBRARY_PATH and sets
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / OMP_WAIT_POLICY=passive before Python starts (OpenBLAS
reads its thread count once, at load). The script reports which BLAS library the process
actually loaded, read from /proc/self/maps.
"""

import json
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import torch
except Exception as e:  # ImportError, or a broken install raising something else
    emit({"framework": "PyTorch", "skipped": f"import torch failed: {e}"})
    sys.exit(0)

QUICK = "--quick" in sys.argv
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else torch.get_num_threads()
TRIALS = 5 if QUICK else 11
MLP_BUDGET_S = 3.0 if QUICK else 20.0
SAMPLES, FEATURES, HIDDEN, CLASSES, BATCH, LR = 60_000, 784, 256, 10, 256, 0.5
BATCHES = SAMPLES // BATCH

torch.set_num_threads(THREADS)
torch.manual_seed(0)


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def time_call(call, warm_s=0.3):
    """Median ms of one call over TRIALS blocks of ~25 ms, after warming up for warm_s."""
    t0 = time.perf_counter()
    n = 0
    while True:
        call()
        n += 1
        if time.perf_counter() - t0 >= warm_s:
            break
    per_call = (time.perf_counter() - t0) / n
    per_block = max(1, round(0.025 / per_call))
    samples = []
    for _ in range(TRIALS):
        s = time.perf_counter()
        for _ in range(per_block):
            call()
        samples.append((time.perf_counter() - s) / per_block * 1000)
    return median(samples)


def blas_library():
    """The BLAS shared object mapped into this process, by file name."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return "unknown"
    for lib in sorted(libs):
        name = lib.rsplit("/", 1)[-1]
        if name.startswith("libopenblas"):
            return lib
    for lib in sorted(libs):
        name = lib.rsplit("/", 1)[-1]
        if name.startswith(("libblas", "libmkl", "libblis")):
            return lib
    return "none found"


def openblas_name(lib):
    """`OpenBLAS 0.3.21` from a path ending in libopenblasp-r0.3.21.so."""
    name = lib.rsplit("/", 1)[-1]
    if "-r" in name:
        return "OpenBLAS " + name.split("-r", 1)[1].removesuffix(".so")
    return "OpenBLAS"


def matmul_gflops():
    x = torch.rand(256, 784)
    w = torch.rand(784, 256) - 0.5
    dy = torch.rand(256, 256) - 0.5
    out = torch.empty(256, 256)
    dw = torch.empty(784, 256)
    flops = 2 * 256 * 256 * 784
    plain = flops / time_call(lambda: torch.mm(x, w, out=out)) / 1e6
    trans_a = flops / time_call(lambda: torch.mm(x.t(), dy, out=dw)) / 1e6
    return plain, trans_a


def mlp_epoch():
    """The book's loop: nn.Sequential, CrossEntropyLoss, optim.SGD; batches are slices (views) of one tensor."""
    x = torch.rand(SAMPLES, FEATURES)
    y = torch.randint(0, CLASSES, (SAMPLES,))
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES))
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, std=0.01)
            torch.nn.init.zeros_(m.bias)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    last = [None]

    def step(i):
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
        last[0] = loss

    for i in range(3):
        step(i)
    epochs = []
    steps = 0
    start = time.perf_counter()
    epoch_start = start
    while time.perf_counter() - start < MLP_BUDGET_S or steps == 0:
        step(steps % BATCHES)
        steps += 1
        if steps % BATCHES == 0:
            now = time.perf_counter()
            epochs.append(now - epoch_start)
            epoch_start = now
            if len(epochs) >= 3:
                break
    final_loss = float(last[0].item())
    if epochs:
        return {"epochS": median(epochs), "steps": steps, "extrapolated": False, "finalLoss": final_loss}
    per_step = (time.perf_counter() - start) / steps
    return {"epochS": per_step * BATCHES, "steps": steps, "extrapolated": True, "finalLoss": final_loss}


def linreg_step_us():
    """Book 3.2 from scratch: w, b with requires_grad, squared loss, manual SGD under no_grad."""
    x = torch.rand(10, 2) * 2 - 1
    y = x @ torch.tensor([[2.0], [-3.4]]) + 4.2
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr = 0.03

    def step():
        loss = ((x @ w + b - y) ** 2 / 2).sum() / 10
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
            w.grad.zero_()
            b.grad.zero_()

    return time_call(step) * 1000


def elementwise_gbs():
    n = 1 << 20
    a, b, c = torch.rand(n), torch.rand(n), torch.rand(n)
    return 16 * n / time_call(lambda: torch.relu(a * b + c)) / 1e6


def main():
    plain, trans_a = matmul_gflops()
    lib = blas_library()
    notes = [
        f"BLAS: {lib}",
        f"torch threads {torch.get_num_threads()}, OPENBLAS_NUM_THREADS={__import__('os').environ.get('OPENBLAS_NUM_THREADS', 'unset')}",
        "MLP: nn.Sequential + CrossEntropyLoss + optim.SGD, batches are views of one tensor",
        "elementwise: torch.relu(a * b + c), three eager kernels",
    ]
    emit({
        "framework": "PyTorch",
        "version": torch.__version__,
        "backend": "eager, " + (openblas_name(lib) if "openblas" in lib else lib.rsplit("/", 1)[-1]),
        "threads": THREADS,
        "matmulGflops": plain,
        "matmulTransAGflops": trans_a,
        "mlp": mlp_epoch(),
        "linregStepUs": linreg_step_us(),
        "elementwiseGBs": elementwise_gbs(),
        "notes": notes,
    })


try:
    main()
except Exception as e:
    emit({"framework": "PyTorch", "skipped": f"benchmark failed: {type(e).__name__}: {e}"})
