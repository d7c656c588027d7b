"""The settings the PyTorch side of bench/run and bench/gemm is tried
under (the fairness rules of the workloads note): thread counts, the
machine's OPENBLAS_CORETYPE override kept and removed, and glibc's malloc
as it comes and keeping freed memory. Each configuration runs in a
process of its own, since OpenBLAS and glibc read their settings at load
time."""
import os


def usable_cpus():
    """The CPUs this process may run on (its affinity mask: taskset, a
    container's cpuset), as a trainer counts them by default."""
    return len(os.sched_getaffinity(0)) or 1


def thread_counts():
    """The thread counts each side is tried with: 1, half the CPUs (one a
    core where each core runs two hardware threads) and all of them."""
    n = usable_cpus()
    return sorted({1, max(1, n // 2), n})

# PyTorch allocates every activation, gradient and product anew. glibc
# serves blocks of its mmap threshold (128 KiB to start) with fresh pages
# and trims its heap as they are freed, so a step can page-fault over each
# of its tensors again; where faults are dear (the Zen 5 VM of
# docs/performance.md: mnist-mlp 12.7 ms a step, 4.2 ms with this) raising
# both thresholds keeps the pages. Raising one alone made it slower there.
HEAP_TUNABLES = ("glibc.malloc.mmap_threshold=33554432:"
                 "glibc.malloc.trim_threshold=134217728")


def blas_envs(blas_threads, with_coretype=True):
    """(environment, label) for each setting with `blas_threads` OpenBLAS
    threads. The machine's OPENBLAS_CORETYPE is tried kept and removed
    unless `with_coretype` is false (removed only): on a host newer than
    Debian's OpenBLAS (Zen 5) the override picks older kernels than
    OpenBLAS's own detection would."""
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    for kept in ([coretype, None] if coretype and with_coretype else [None]):
        for heap in (False, True):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads))
            env.pop("OPENBLAS_CORETYPE", None)
            if kept:
                env["OPENBLAS_CORETYPE"] = kept
            if heap:
                env["GLIBC_TUNABLES"] = HEAP_TUNABLES
            yield env, (f", {kept}" if kept else "") + (", heap kept" if heap else "")
