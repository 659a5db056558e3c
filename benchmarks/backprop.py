"""handgrad.backprop against jax.jit(jax.grad) and the machine's matrix-multiply rate.

    python benchmarks/backprop.py [--repeats N] [--epoch | --no-epoch] [--quick]

Side by side, all λ > 0, for float64 and float32 (each time: the median over
rounds of a block's median; each ratio: the median of per-round ratios, so a
slow spell of the machine hits both sides of it):

- ``handgrad``: handgrad.backprop(input_gradient=False), the parameter gradients
  (what training uses, the same work as ``jax``);
- ``jax``: jax.jit(jax.grad(risk)) of the same risk, inputs already on the device;
- ``handgrad+x`` and ``jax+x``: the full backprop, ∂L/∂x per example included
  (handgrad.backprop as called by default; JAX: the jitted gradient with
  respect to the parameters and X);
- ``loop``: a loop over the examples in the course's column-vector form;
- ``matmul``: the rate of one product X W1ᵀ of the same size, measured on the spot.

The flop count is 4·n·d·dh + 6·n·dh·m (two n·d·dh products); the ``+x`` rows
add the third (2·n·d·dh). Last, the course's timing: one MNIST-sized
epoch (60,000 × 784, minibatches of K = 100, dh = 512, m = 10) with the loop and
the matrix versions, on synthetic data of that shape.

The first lines name NumPy's BLAS and the kernels OpenBLAS runs: an environment
may force them (``OPENBLAS_CORETYPE``), and they set the products' speed, which
XLA's own kernels do not share. To compare both, run the script once as is and
once with the variable changed, e.g. ``OPENBLAS_CORETYPE=SkylakeX`` on an
AVX-512 CPU (unset, OpenBLAS picks by itself).
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import handgrad as hg

SHAPES = [(1024, 784, 512, 10), (64, 784, 512, 10), (256, 100, 64, 10), (16, 8, 8, 4)]
LAMBDAS = hg.Lambdas(1e-4, 1e-3, 1e-4, 1e-3)


def round_times(fs: dict, repeats: int, rounds: int = 5, block_seconds: float = 0.25) -> dict:
    """Per round, the median time per call of each callable.

    Candidates run in alternating blocks (a few warm-up calls, then at least
    ``repeats`` timed calls or ``block_seconds``), ``rounds`` times over, so that
    machine noise hits all alike; calls are not interleaved one by one because
    BLAS and XLA thread pools spin after a call and would slow each other down.
    """
    blocks: dict = {k: [] for k in fs}
    for _ in range(rounds):
        for k, f in fs.items():
            for _ in range(2):
                f()
            times = []
            deadline = time.perf_counter() + block_seconds
            while len(times) < repeats or (time.perf_counter() < deadline and len(times) < 100 * repeats):
                t = time.perf_counter()
                f()
                times.append(time.perf_counter() - t)
            blocks[k].append(statistics.median(times))
    return blocks


def ratio(blocks: dict, a: str, b: str) -> float:
    """The median over rounds of a's time over b's in the same round (robust to slow spells)."""
    return statistics.median(x / y for x, y in zip(blocks[a], blocks[b]))


def _openblas_core() -> str | None:
    """The kernels OpenBLAS runs, from threadpoolctl if installed, else from NumPy's bundled library."""
    try:
        import threadpoolctl
        return next((i.get("architecture") for i in threadpoolctl.threadpool_info()
                     if i.get("internal_api") == "openblas"), None)
    except ImportError:
        pass
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            if hasattr(lib, symbol):
                getattr(lib, symbol).restype = ctypes.c_char_p
                return getattr(lib, symbol)().decode()
    return None


def blas() -> str:
    """NumPy's BLAS and, for OpenBLAS, the kernels it runs (OPENBLAS_CORETYPE can force them)."""
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{info['name']} {info['version']}"
    except (KeyError, TypeError):
        name = "unknown BLAS"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return (f"{name}, {_openblas_core() or 'unknown'} kernels"
            + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else " (detected)"))


def jax_risk(params, X, y, lam):
    W1, b1, W2, b2 = params
    ha = X @ W1.T + b1
    hs = jax.nn.relu(ha)
    oa = hs @ W2.T + b2
    L = jax.nn.logsumexp(oa, axis=1) - jnp.take_along_axis(oa, y[:, None], axis=1)[:, 0]
    return (jnp.mean(L) + lam[0] * jnp.sum(jnp.abs(W1)) + lam[1] * jnp.sum(W1 * W1)
            + lam[2] * jnp.sum(jnp.abs(W2)) + lam[3] * jnp.sum(W2 * W2))


def loop_backprop(p: hg.Params, X, y, lam: hg.Lambdas):
    """The course's form: one example at a time, column vectors, then the mean and the penalties."""
    gW1, gb1, gW2, gb2 = (np.zeros_like(a) for a in p)
    b1, b2 = p.b1[:, None], p.b2[:, None]
    for x, label in zip(X, y):
        x = x[:, None]
        ha = p.W1 @ x + b1                       # B1
        hs = np.maximum(ha, 0)                   # B1
        oa = p.W2 @ hs + b2                      # B2
        e = np.exp(oa - oa.max())
        g_oa = e / e.sum()                       # B3
        g_oa[label] -= 1                         # B8
        gW2 += g_oa @ hs.T                       # B10
        gb2 += g_oa[:, 0]
        g_ha = (p.W2.T @ g_oa) * (ha > 0)        # B12, B14
        gW1 += g_ha @ x.T                        # B16
        gb1 += g_ha[:, 0]
    n = len(X)
    return (gW1 / n + lam.l11 * np.sign(p.W1) + 2 * lam.l12 * p.W1, gb1 / n,
            gW2 / n + lam.l21 * np.sign(p.W2) + 2 * lam.l22 * p.W2, gb2 / n)


def problem(n, d, dh, m, dtype, seed=0):
    rng = np.random.default_rng(seed)
    p = hg.Params(*(a.astype(dtype) for a in (rng.normal(size=(dh, d)) / np.sqrt(d), rng.normal(size=dh) * 0.1,
                                              rng.normal(size=(m, dh)) / np.sqrt(dh), rng.normal(size=m) * 0.1)))
    return p, rng.normal(size=(n, d)).astype(dtype), rng.integers(0, m, n)


def row(shape, dtype, repeats: int, with_loop: bool) -> dict:
    n, d, dh, m = shape
    p, X, y = problem(n, d, dh, m, dtype)
    with jax.enable_x64(dtype == np.float64):
        jp = hg.Params(*map(jnp.asarray, p))
        jX, jy, jl = jnp.asarray(X), jnp.asarray(y), jnp.asarray(np.array(LAMBDAS, dtype))
        g_params = jax.jit(jax.grad(jax_risk))
        g_full = jax.jit(jax.grad(lambda params, X: jax_risk(params, X, jy, jl) * X.shape[0], argnums=(0, 1)))
        W1T = p.W1.T
        fs = {
            "handgrad": lambda: hg.backprop(p, X, y, LAMBDAS, input_gradient=False),
            "jax": lambda: jax.block_until_ready(g_params(jp, jX, jy, jl)),
            "handgrad+x": lambda: hg.backprop(p, X, y, LAMBDAS),
            "jax+x": lambda: jax.block_until_ready(g_full(jp, jX)),
            "matmul": lambda: X @ W1T,
        }
        blocks = round_times(fs, repeats)
    t_loop = (round_times({"loop": lambda: loop_backprop(p, X, y, LAMBDAS)}, 3, rounds=1, block_seconds=0.0)["loop"][0]
              if with_loop else None)
    t_hg, t_jax, t_hg_x, t_jax_x, t_mm = (statistics.median(blocks[k])
                                          for k in ("handgrad", "jax", "handgrad+x", "jax+x", "matmul"))
    flops = 4 * n * d * dh + 6 * n * dh * m
    mm_rate = 2 * n * d * dh / t_mm
    return {"shape": shape, "dtype": np.dtype(dtype).name, "handgrad": t_hg, "jax": t_jax, "handgrad+x": t_hg_x,
            "jax+x": t_jax_x, "loop": t_loop, "matmul_gflops": mm_rate / 1e9,
            "handgrad_gflops": flops / t_hg / 1e9, "share_of_matmul": flops / t_hg / mm_rate,
            "ratio": ratio(blocks, "handgrad", "jax"), "ratio_x": ratio(blocks, "handgrad+x", "jax+x")}


def epoch(loop: bool, *, N: int = 60000, d: int = 784, dh: int = 512, m: int = 10, K: int = 100,
          lr: float = 0.01) -> float:
    p, X, y = problem(N, d, dh, m, np.float64, seed=1)
    p = hg.Params(*(a.copy() for a in p))
    start = time.perf_counter()
    for i in range(0, N, K):
        Xb, yb = X[i:i + K], y[i:i + K]
        if loop:
            g = loop_backprop(p, Xb, yb, LAMBDAS)
        else:
            gr = hg.backprop(p, Xb, yb, LAMBDAS, input_gradient=False)
            g = (gr.W1, gr.b1, gr.W2, gr.b2)
        for w, gw in zip(p, g):
            w -= lr * gw
    return time.perf_counter() - start


def ms(t):
    return "-" if t is None else (f"{t * 1e3:.2f}" if t >= 1e-3 else f"{t * 1e3:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--epoch", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no loop column, no epoch")
    args = ap.parse_args()
    repeats = 5 if args.quick else args.repeats
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.platform()}; "
          f"numpy {np.__version__}, jax {jax.__version__}, Python {platform.python_version()}")
    print(f"BLAS: {blas()}")
    print("times in ms, median over rounds of each block's median; ratio: median of per-round ratios; all λ > 0")
    head = ("shape (n, d, dh, m)", "dtype", "handgrad", "jax", "ratio", "handgrad+x", "jax+x", "ratio+x",
            "loop", "GFLOP/s", "matmul", "of matmul")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for dtype in (np.float64, np.float32):
        for shape in SHAPES:
            r = row(shape, dtype, repeats, with_loop=not args.quick and dtype == np.float64)
            print(" | ".join([str(shape), r["dtype"], ms(r["handgrad"]), ms(r["jax"]), f"{r['ratio']:.2f}",
                              ms(r["handgrad+x"]), ms(r["jax+x"]), f"{r['ratio_x']:.2f}", ms(r["loop"]),
                              f"{r['handgrad_gflops']:.1f}", f"{r['matmul_gflops']:.1f}",
                              f"{100 * r['share_of_matmul']:.0f}%"]), flush=True)
    if args.epoch and not args.quick:
        t_matrix = epoch(loop=False)
        print(f"MNIST-sized epoch (60000 × 784, K = 100, dh = 512, float64): matrix {t_matrix:.2f} s", flush=True)
        t_loop = epoch(loop=True)
        print(f"MNIST-sized epoch (60000 × 784, K = 100, dh = 512, float64): loop {t_loop:.2f} s "
              f"({t_loop / t_matrix:.1f}× the matrix version)")


if __name__ == "__main__":
    main()
