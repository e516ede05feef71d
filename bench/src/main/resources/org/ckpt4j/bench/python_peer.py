"""Python peers of the ckpt4j bench: torch.save/torch.load and numpy np.save/np.load.

Run by org.ckpt4j.bench.PythonBench as a child process, one repeat per call; prints one JSON line with seconds.
The state is built in memory before any timer starts. Saves are durable as ckpt4j's commit is: each file is
flushed and fsynced, then its directory. Loads read every byte into new arrays (torch.load, np.load).

usage: python_peer.py torch|numpy DIR SHAPE COUNT BYTES CACHED_LOADS DROP(0|1)
  SHAPE mlp: an MLP of COUNT Linear(BYTES, BYTES) layers with Adam state after one step (torch: a real
             nn.Sequential and torch.optim.Adam); otherwise COUNT tensors of BYTES bytes (float32).
"""
import json
import os
import sys
import time


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_page_cache():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("1")


def torch_state(shape, count, size):
    import torch
    torch.manual_seed(42)
    if shape == "mlp":
        layers = []
        for _ in range(count):
            layers.append(torch.nn.Linear(size, size))
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(8, size)
        model(x).sum().backward()
        opt.step()
        return {"model": model.state_dict(), "optimizer": opt.state_dict()}
    n = size // 4
    return {"t%d.bin" % i: torch.randn(n) for i in range(count)}


def numpy_state(shape, count, size):
    import numpy as np
    rng = np.random.default_rng(42)
    if shape == "mlp":
        arrays = {}
        for i in range(count):
            for kind in ("param", "m", "v"):
                arrays["layer%d/%s/W" % (i, kind)] = rng.standard_normal((size, size), dtype=np.float32)
                arrays["layer%d/%s/b" % (i, kind)] = rng.standard_normal((size,), dtype=np.float32)
        return arrays
    return {"t%d" % i: rng.standard_normal(size // 4, dtype=np.float32) for i in range(count)}


def torch_save(state, d):
    import torch
    path = os.path.join(d, "checkpoint.pt")
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(d)
    return time.perf_counter() - t0


def torch_load(d):
    import torch
    t0 = time.perf_counter()
    state = torch.load(os.path.join(d, "checkpoint.pt"))
    elapsed = time.perf_counter() - t0
    del state
    return elapsed


def numpy_save(arrays, d):
    import numpy as np
    t0 = time.perf_counter()
    for name, a in arrays.items():
        with open(os.path.join(d, name.replace("/", "_") + ".npy"), "wb") as f:
            np.save(f, a)
            f.flush()
            os.fsync(f.fileno())
    fsync_dir(d)
    return time.perf_counter() - t0


def numpy_load(names, d):
    import numpy as np
    t0 = time.perf_counter()
    out = [np.load(os.path.join(d, n.replace("/", "_") + ".npy")) for n in names]
    elapsed = time.perf_counter() - t0
    del out
    return elapsed


def main(argv):
    peer, d, shape, count, size, cached_loads, drop = argv[1:8]
    count, size, cached_loads, drop = int(count), int(size), int(cached_loads), drop == "1"
    os.makedirs(d, exist_ok=True)
    if peer == "torch":
        state = torch_state(shape, count, size)
        save = torch_save(state, d)
        del state
        load = lambda: torch_load(d)
    elif peer == "numpy":
        arrays = numpy_state(shape, count, size)
        names = list(arrays)
        save = numpy_save(arrays, d)
        del arrays
        load = lambda: numpy_load(names, d)
    else:
        raise SystemExit("unknown peer " + peer)
    cached = [load() for _ in range(cached_loads)]
    disk = None
    if drop:
        drop_page_cache()
        disk = load()
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    print(json.dumps({"save": save, "load_cached": cached, "load_disk": disk}))


if __name__ == "__main__":
    main(sys.argv)
