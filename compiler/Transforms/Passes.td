//===- Passes.td - Sinter's compiler passes ----------------*- tablegen -*-===//
//
// The pipeline, in order (sinterc --emit names the stage after each):
//   graph  : frontend output, @forward in the Sinter dialect
//   train  : sinter-build-train-step
//   linalg : sinter-embed-manifest, sinter-pack-trainer-abi,
//            sinter-fuse-optimizer-updates,
//            sinter-results-into-destinations, sinter-lower-to-linalg
//   llvm   : upstream bufferization, sinter-tile-contractions,
//            sinter-parallelize-loops, sinter-fuse-parallel-loops,
//            sinter-plan-memory, sinter-vectorize-narrow-ops,
//            sinter-outline-loop-nests and LLVM lowering (parallel loops
//            through OpenMP, sinter-lower-scf-to-cf)
//
//===----------------------------------------------------------------------===//

#ifndef SINTER_PASSES
#define SINTER_PASSES

include "mlir/Pass/PassBase.td"

// Keep alphabetical.

def BuildTrainStep : Pass<"sinter-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Turns @forward plus loss and optimizer into the trainer's entry points";
  let description = [{
    Expects a module holding `func.func @forward` (Sinter ops, one block;
    arguments marked `sinter.input` or `sinter.param`) and the module
    attributes `sinter.loss` and `sinter.optimizer`. Produces, in the Sinter
    dialect, replacing @forward:
      * `@sinter_predict(inputs..., params...) -> prediction`
      * `@sinter_evaluate(inputs..., target, params...) -> (loss, prediction)`
      * `@sinter_gradients(inputs..., target, params...) -> (loss, grads...)`
      * `@sinter_train_step(inputs..., target, params..., slots..., lr,
        iteration) -> (loss, params'..., slots'...)`
    and the private functions they call, so that the code of each pass
    exists once: `@sinter_inference(inputs..., params...)` (predict and
    evaluate call it) and `@sinter_training_pass(inputs..., target,
    params...) -> (loss, grads..., moved statistics...)` (gradients and the
    train step call it; absent for models with random ops, whose train
    step and gradients differ).
    Ops with a TrainingModeOpInterface take their training form in
    @sinter_train_step and @sinter_gradients (BatchNormalization uses the
    batch's statistics), their inference form in predict and evaluate.
    Random ops (Dropout) key on the train step's `iteration` and are the
    identity in @sinter_gradients, so its loss is a deterministic function
    whose finite differences check its gradients. The train step returns
    the new moving statistics (state parameters) in place of the old.
    Gradients come from each op's VJPOpInterface rule, applied in one reverse
    walk over the forward block; uses of a value more than once accumulate
    with `sinter.add`. Optimizer updates come after every backward op, so no
    backward op reads a parameter after its update (the condition for
    in-place bufferization).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def EmbedManifest : Pass<"sinter-embed-manifest", "::mlir::ModuleOp"> {
  let summary = "Embeds the trainer manifest and the default data as LLVM globals";
  let description = [{
    Expects the entry points of sinter-build-train-step with their
    `sinter.*` argument attributes (so it runs before
    sinter-pack-trainer-abi), and the module attributes `sinter.loss`,
    `sinter.optimizer` and optionally `sinter.layers`. Adds the constant globals the
    runtime reads (docs/abi.md): `sinter_manifest`, a versioned text
    description of inputs, parameters, slots, loss and optimizer, and
    `sinter_default_data`, the synthetic data set a trainer falls back to.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"defaultRows", "default-rows", "int64_t", /*default=*/"256",
           "Rows of synthetic default data to embed (fewer when they "
           "would exceed 2^20 floats)">,
  ];
}

def FuseParallelLoops : Pass<"sinter-fuse-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Merges adjacent parallel loops that work on one image each";
  let description = [{
    Expects a bufferized function after sinter-parallelize-loops. Two
    adjacent `scf.parallel` loops over the same range (one dimension, no
    reductions) become one when every buffer that one writes and the other
    touches is reached only at the loop's index in its first dimension,
    through views that keep that dimension (the batch: each iteration works
    on its own image); function arguments count as separate buffers (the
    ABI's buffers never overlap). The ops between the loops move out of
    the way: pure ops and allocations before the first loop,
    deallocations after the second, other ops (small serial ones) before
    the first loop if they share no written buffer with it, else after the
    second if they share none with that one; otherwise the loops stay
    apart. Each iteration then runs both bodies in order: one parallel
    region, one barrier. A linalg op outside loops that works image by
    image (its first loop parallel over the batch, every operand indexed
    by it in its first dimension alone or not at all: one too small for a
    region of its own, such as a max pool or a pad's zeros) takes part as
    a loop over the batch running the op on one image's rows (views of
    them, rank kept); if it merges only with other such ops, or with no
    loop, it stays as it was. Results are unchanged.

    Example: a convolution's output written at `y[%n, ...]` by one loop and
    read at `y[%n, ...]` by the bias-and-relu loop after it: one loop over
    `%n` doing both; a max pool of `y` after them (a linalg.generic over the
    batch) joins that loop as the pool of `y[%n]`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def FuseSoftmaxCrossentropy : Pass<"sinter-fuse-softmax-crossentropy", "::mlir::func::FuncOp"> {
  let summary = "Computes a softmax's gradient under a cross-entropy loss in one op";
  let description = [{
    Expects Sinter ops with their gradients (after sinter-build-train-step).
    Produces `sinter.softmax_crossentropy_grad %y, %t, %seed` in place of
    every `sinter.softmax_grad %y, %g` whose `%g` is a
    `sinter.categorical_crossentropy_grad` or
    `sinter.sparse_categorical_crossentropy_grad` of the same `%y` (with
    `%t`, `%seed`) and has no other use. The forward softmax and the loss
    stay: the loss is a reported value, the softmax's output the
    prediction, and the fused gradient reads it.
  }];
}

def FuseOptimizerUpdates : Pass<"sinter-fuse-optimizer-updates", "::mlir::func::FuncOp"> {
  let summary = "Merges the optimizer steps of side-by-side parameters into one step";
  let description = [{
    Expects a function packed by sinter-pack-trainer-abi whose optimizer
    steps (ElementwiseUpdateOpInterface ops) read the parameter and each
    slot through `bufferization.to_tensor` of a window of a flat buffer
    (`memref.subview`, possibly reshaped) and write each result back into
    that window with `bufferization.materialize_in_destination`, their only
    use. Produces one step for every run of steps that agree in kind,
    attributes and scalar operands and whose parameters lie back to back
    (their slots at the same distance from them): the step over the run's
    whole window, in one loop for all its parameters, marked
    `sinter.parameter_starts` (where each parameter starts in the window,
    for sinter-parallelize-loops). The gradients are
    gathered first into a new buffer laid out like the parameter buffer,
    each written into its window (sinter-results-into-destinations then
    lets the function that computes them write them there).
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LowerToLinalg : Pass<"sinter-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers every Sinter op to linalg, tensor, arith and math";
  let description = [{
    Expects Sinter ops on ranked tensors (any stage after the frontend).
    Produces destination-passing linalg on tensors: matmuls and reductions
    as `linalg.generic` over `tensor.empty` + `linalg.fill`, optimizer
    updates as one `linalg.generic` whose outputs are the parameter and its
    slots. Dynamic sizes come from `tensor.dim` of the operands. `lanes`,
    the target's floats in a vector register, picks a convolution filter
    gradient's layout: along the positions (channels first, 16-lane
    partial sums) when its output channels per group fill at most half a
    vector and a row holds more positions than channels, else channels
    last. Causal attention's products and softmax reductions are marked
    `sinter.skip_above = [a, b]` (iterations where loop b exceeds loop a
    contribute nothing read): a contraction reading the softmax of a -inf
    causal mask, the mask's 0-valued gradient or a softmax gradient or
    dropout of such along its last two letters, or whose result only a
    causal mask reads or softmax gradients of such weights (dP = dO·Vᵀ);
    the softmax's max and sum over masked keys and its gradient's sum of
    y·g. The softmax's weights and its gradient past each query are
    selected zero in their bodies (`select(s > t, 0.0, v)`, which
    sinter-bound-skipped-loops turns into stores of zeros). A contraction
    operand copied to put the result's last letter last keeps the result
    letters only it has together with it, so that they merge into the
    product's columns (`btd,hed->bthe`'s weight copied as `dhe`).
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "floats in a vector register of the target">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ShareCopies : Pass<"sinter-share-copies", "::mlir::func::FuncOp"> {
  let summary = "Lets a copy made again read the one made before";
  let description = [{
    Expects linalg on tensors (after sinter-lower-to-linalg, before
    bufferization). A copy is a padded tensor (the last
    `tensor.insert_slice` of a chain, its result no other's destination)
    or a gather (a `linalg.generic` on tensors whose loops are all parallel
    and whose body only yields inputs: a strided convolution's columns).
    Where a copy computes what an earlier copy in the same block computed,
    and neither result is written into (no op's destination), the later
    one's readers read the earlier one; the canonicalizer then erases the
    later copy and what only it read. Computes the same: the same ops,
    attributes and result types over operands that are the same values or
    computed the same, recursively, by ops without memory effects
    (`tensor.empty`, `linalg.fill`, `tensor.dim` of one argument...).
    A convolution's gradient rule pads (and for a strided one gathers) its
    input again for the filter gradient: the forward pass made that copy.

    Example: the backward pass's pad of `%x`

    ```mlir
    %e2 = tensor.empty(%n) : tensor<?x34x34x3xf32>
    ... %f2: %e2 with its border filled (insert_slice of linalg.fill) ...
    %p2 = tensor.insert_slice %x into %f2[0, 1, 1, 0] [%n, 32, 32, 3] [1, 1, 1, 1]
    ```

    made like the forward pass's `%p1` is replaced by `%p1`.
  }];
}

def ParallelizeLoops : Pass<"sinter-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "Runs the outer parallel loops of large linalg ops on threads";
  let description = [{
    Expects bufferized linalg ops (on memrefs). Each op with a parallel
    loop whose iteration space holds at least `min-iterations` points (a
    dynamic size counted as 32) becomes loops whose outermost one is an
    `scf.parallel` (a generic whose first loops are reductions, a column
    sum, gets an `scf.parallel` over blocks of 16-64 of its first parallel
    loop instead, around the op on one block, so its innermost loop stays
    contiguous and every sum's order stays as it was), which the pipeline
    lowers to OpenMP (the runtime implements the entry points it calls).
    Everything inside stays sequential: reductions never split
    across threads, so each result is computed by one iteration in one
    order, and the thread count cannot change it. A generic with a narrow
    innermost dimension becomes the loops sinter-vectorize-narrow-ops
    writes (`lanes` as there); a `linalg.copy` outside loops (into or out
    of a pad's interior) is a generic first, for that pass too. A generic
    marked `sinter.skip_above` [a, b] with loop b a reduction inside loop
    a ends loop b after a's index (see sinter-bound-skipped-loops). An optimizer update (marked
    `sinter.updates_parameters` by sinter-lower-to-linalg: 1-D, static,
    contiguous) becomes an `scf.parallel` over rows of `lanes` elements,
    each a vector load of every operand it reads, the body on vectors and a
    vector store per output, after a write prefetch of the parameters 256
    floats ahead: the forward products of both threads read every
    parameter, so each one written is first taken from the other core's
    cache, and the prefetch overlaps those transfers (mnist-mlp 6 % faster
    a step on two threads, Zen 5); the last n % lanes elements stay the op
    on their windows. A fused update marked `sinter.parameter_starts`
    whose parameters form two groups or more (one per parameter of 16384
    floats or more, smaller ones joining the one before) runs its rows
    part-major instead: the first of 8 parts of every group, then the
    second..., in iterations of at most 1024 floats, so that the threads,
    splitting that order, each update the same rows of every gradient
    their products wrote. Other linalg ops are left for
    convert-linalg-to-loops.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t",
           /*default=*/"::sinter::kMinParallelIterations",
           "Smallest iteration space worth a parallel region">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "floats in a vector register (see sinter-vectorize-narrow-ops)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FuseElementwise : Pass<"sinter-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Merges chains of elementwise linalg ops into one loop nest";
  let description = [{
    Expects linalg on tensors. Merges each elementwise `linalg.generic`
    into the generic that consumes it, where that consumer is elementwise
    too, reads every element once (through a permutation of its loops) and
    is the result's only user, or comes before its other users in their
    block and reads the result in its own order (an identity map); the
    merged op then also yields the result for them (a Dense layer's
    pre-activation, which the activation's gradient reads).
    Contractions, window ops and reductions keep their producers, and so
    does a result with a user before the consumer: no element is ever
    computed twice.

    A `tensor.collapse_shape` between an elementwise generic used once
    and its elementwise consumer is folded into the consumer (its loops
    expanded to the producer's shape), so that the two merge: a
    channels-first convolution's output goes back to channels last with
    its bias and activation in the same loop, and a pool's gradient,
    spread over the window's taps, is masked by the activation's gradient
    in the loop that spreads it.

    Example: `%b = generic {%x + bias}` then `%r = generic {max(%b, 0)}`
    becomes one generic computing `max(%x + bias, 0)`, with no tensor for
    the sum.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ElementwiseInPlace
    : Pass<"sinter-elementwise-in-place", "::mlir::func::FuncOp"> {
  let summary = "Elementwise ops write into an input nothing reads later";
  let description = [{
    Expects linalg on tensors, right before One-Shot Bufferize. An
    elementwise `linalg.generic` whose init is a `tensor.empty` it does not
    read takes as its init an input of the result's type read at each
    element's own index (the identity map) when it is that input's last
    reader: every other reader of the input, or of the tensors it is a
    reshape of, is a linalg op before it in its block, and the input
    starts from an insert_slice's or a linalg op's result. Its body then
    reads the input's element as the output's, and One-Shot Bufferize
    computes the result in the input's buffer: the result's lines are not
    fetched into the cache before the write (a new buffer's are), and the
    step holds one buffer less. Left alone: an op that reads a
    contraction's, window op's or reduction's result element for element
    (directly or through reshapes; sinter-fuse-epilogues runs it on the
    tiles; read broadcast, as a max pool's gradient reads its output
    gradient, it cannot be an epilogue and is taken), a result that
    empty-tensor elimination writes into a destination
    (`materialize_in_destination`, `tensor.insert_slice`), and a result
    whose rows are not whole vectors of 16 floats: masked reads beside the
    last masked write wait for it.

    Example: a ReLU's gradient mask
    `generic ins(%y, %g) outs(tensor.empty) {select(%y > 0, %g, 0)}`,
    %g's last reader, becomes
    `generic ins(%y) outs(%g) {^bb0(%y_i, %g_i): select(%y_i > 0, %g_i, 0)}`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def PlanMemory : Pass<"sinter-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Places each function's buffers in one planned workspace";
  let description = [{
    Expects bufferized functions after the buffer deallocation pipeline
    (`memref.alloc` in the entry block, `memref.dealloc` at its end).
    Every buffer that stays inside its function becomes a `memref.view`
    into one `memref<?xi8>` workspace at an offset planned over the
    buffers' live ranges (first to last use in the entry block): a buffer
    takes the slot of one that is dead by then and of its own size, or
    bytes no other buffer uses. (Part of a larger buffer's bytes would
    straddle its rows: written by another thread than in the step before,
    each such line comes from the other core's cache.) Sizes and offsets are
    linear in one runtime value (for the entry points the batch), 64-byte
    aligned. The trainer ABI's entry points and private functions take
    the workspace as a new last argument (a call is a buffer of the
    callee's size in the caller's plan); other public functions allocate
    it on entry. The global `sinter_workspace` holds the entry points'
    size {bytes per batch row, fixed bytes}; the module attribute
    `sinter.memory_plan` records each function's plan.

    Example: two buffers whose lives do not overlap share offset 0:
    ```mlir
    %a = memref.alloc() : memref<16xf32>   // live until op 2
    ...
    %b = memref.alloc() : memref<16xf32>   // live from op 3
    ```
    become `memref.view %ws[%c0][] : memref<?xi8> to memref<16xf32>`
    both, with a 64-byte workspace.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def ReassociateSums : Pass<"sinter-reassociate-sums", "::mlir::func::FuncOp"> {
  let summary = "Lets sums along the innermost loop be vectorized";
  let description = [{
    Expects linalg generics. Where a generic's innermost loop is a
    reduction, marks the `arith.addf` that accumulates into its output
    `fastmath<reassoc>`, so LLVM may split the sum into vector partial
    sums instead of one scalar chain. The order stays fixed at compile
    time (bit-identical runs, for any thread count); it depends on the
    target's vector width.

    Example: the body `%s = arith.addf %out, %x : f32` of a row sum
    becomes `%s = arith.addf %out, %x fastmath<reassoc> : f32`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def BoundSkippedLoops : Pass<"sinter-bound-skipped-loops", "::mlir::func::FuncOp"> {
  let summary = "Ends a marked row's loop where its skipped or zero part begins";
  let description = [{
    Expects linalg generics on buffers. A generic marked
    `sinter.skip_above = [a, b]` (iterations where loop b exceeds loop a
    contribute nothing) whose loop b is a reduction inside loop a becomes
    scf.for loops (as convert-linalg-to-loops makes them) with loop b
    ending after loop a's index. sinter-lower-to-linalg marks causal
    attention's softmax reductions, the row max and the sum of
    exponentials over keys s <= t, and the softmax gradient's sum of y·g:
    the skipped terms are the identities, and half of the exponentials
    go. An elementwise generic with one result whose body yields
    `arith.select` of `linalg.index b > linalg.index a` (loop b inside
    loop a) and 0.0 gets the same bounded loop b, followed by a copy of it
    from a's index + 1 on that stores zeros (the softmax's weights and its
    gradient past each query: no exp, no divide). A bounded reduction
    keeps its running value in an iteration argument (loaded before loop
    b, stored after it). With `lanes` of 2 or more and loop b innermost
    over a static length they divide, loop b runs on vectors of `lanes`
    up to a's index + 1 rounded up to a multiple of `lanes`: a sum or max
    in `lanes` partial results, the lanes past a's index masked to the
    identity (-0.0, -inf), reduced after the loop; a zeroed loop stores
    whole vectors (its own select writes the zeros past a's index) and
    its zeros' loop starts at the rounded bound. The sums' order depends
    on `lanes` only, fixed at compile time: results do not depend on the
    thread count.

    Example: `linalg.generic {..., sinter.skip_above = array<i64: 2, 3>}`
    over `memref<1x4x128x128xf32>` into `memref<1x4x128xf32>` becomes four
    nested scf.for loops, the innermost from 0 to min(128, %t + 1); with
    `lanes=8`, from 0 to that rounded up to 8 by 8, on vector<8xf32>.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"0",
           "floats in a vector register; from 2 on, loop b runs on vectors "
           "of them when innermost and of a length they divide">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def ApproximateMath : Pass<"sinter-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replaces libm calls (exp, log, tanh, erf, ...) by polynomials";
  let description = [{
    Expects math dialect ops on f32 (in linalg bodies or loops). Rewrites
    every function MLIR's polynomial approximations cover into arith ops,
    so loops that call them vectorize; the rest (pow, sqrt, abs) stay and
    lower to instructions or libm as before.

    erf is Sinter's own: x P(x²) / Q(x²) on x clamped to [-4, 4], one
    rational for the whole range (MLIR's picks one of three per element
    with selects), its coefficients fitted by `scripts/fit-erf`; at most
    4.7 units in the last place (tests/e2e/test_math_accuracy.py checks
    the activations built on it against PyTorch value by value).

    Example: `%y = math.erf %x : f32` becomes a clamp, x², 11 `math.fma`
    (Horner's rule for P and Q), a multiply and one `arith.divf`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def TileContractions : Pass<"sinter-tile-contractions", "::mlir::func::FuncOp"> {
  let summary = "Register-tiles and vectorizes contractions (matmuls, attention)";
  let description = [{
    Expects bufferized linalg ops (on memrefs), before
    sinter-parallelize-loops. Each `linalg.generic` computing out += lhs *
    rhs on an f32 result that is contiguous along its last dimension (the
    columns) becomes loops over tiles of up to `tile-m` rows (the nearest
    other result dimension not of size 1) by `tile-n` columns, every summed
    loop innermost, the accumulator loaded before the sums and stored after
    them. Contractions (summed loops merged into one where they are
    adjacent and contiguous, loops put in (batch, m, n, k) order) tile into
    `vector.contract`s lowered to outer products (vector FMAs); a product
    whose first input reads the result's columns and second its rows (the
    backward's dW += dY[k, n] * x[k, m]) has its inputs swapped first, so
    that its operands pack like X·dY's (below). Window
    contractions, whose input maps add loops (`g[n, i + a, j + b, o]`: a
    convolution's input gradient), tile into elementwise vector multiply-
    adds once their unit loops are dropped; their tiles fan out over a
    further result dimension that no input indexes together with the
    columns (a channels-first convolution's output channels, read from the
    broadcast filter; a filter gradient's output channels, read as rows of
    vectors along the positions), sized for the most FMAs per load among
    the shapes whose accumulators and loaded values fit in `registers`.
    Values a tile broadcasts (a column of the left operand, a fan's filter
    values) are loaded one by one where a vector holds 8 floats or more
    (`tile-n` >= 16: AVX, which broadcasts from memory in one load).
    Tiles at the result's edges are peeled (vectorized at their size when it is static); a
    contraction's column edge wider than one vector register but narrower
    than two (20 of 500 columns in tiles of 32) is split into a tile of
    one register and one of the rest, each with its own sum loop. Rows of a number
    known at run time only (the batch) in the outermost tile loop are split
    first: the rows that fill whole tiles, and the rest in at most one
    tile each of 4, 2 and 1 rows (static shapes, vectorized), run
    as the loop's last iteration; not when an operand merges the batch
    with static dimensions that make whole tiles (positions). The
    outermost tile loop of an op of at least `min-parallel-iterations`
    points (the whole op's, for each of its blocks below) is an
    `scf.parallel`. A sum
    whose length is known at run time only (over the batch: a weight
    gradient) runs in blocks of 256 terms, each block over all tiles, so
    the rows of both operands a block reads stay in the L2 cache; the
    partial sums wait in the result between blocks (one loop over all the
    blocks when the product is blocked by columns below, the first
    block's tiles each zeroing their own tile before their sum, the
    result's fill left for an empty batch; else the first block, its
    tiles starting from zero in registers, and a loop over the others).
    A window contraction that sums over the batch outermost (a
    channels-last filter gradient) with at least 16 result tiles runs
    in blocks of images whose rows of both inputs take 256 KiB, each
    block over all tiles, the partial sums in the result between blocks
    (with fewer tiles sinter-split-batch-sums splits the sum instead).
    From 2048 terms (tested at run time; from 512 when the result has at
    most 32 row tiles) such a sum whose result is zeroed first runs
    instead as two parts side by side, an `scf.parallel` over them: each
    part sums its half of the terms, in blocks, in one loop, on its
    thread alone, into a partial result of its own (its
    packed panels and row tiles its own too), and the result is part 0 +
    part 1. So does a static sum over more than 512 terms, and inside each block a right operand over
    512 KiB runs in blocks of 256 result columns (its 256 x 256 panel
    stays in L2 while every row tile passes over it). When such a product's
    result has 512 Ki elements or more (tested at run time when its rows
    are the batch, unless the batch is merged with static dimensions that
    make enough rows), each column block first copies its panel into tiles of
    its columns, and each sum block a left operand read transposed (a
    weight gradient's inputs) into tiles of its rows (the last tile partly
    filled where the tile's rows do not divide them), so that a tile reads
    each term from consecutive addresses. With `tile-n` = 16 (AVX2: a
    tile's row is one cache line) every product of 64 columns or more runs
    in such blocks (one block may take all its columns), and packs both
    from 16 Ki result elements; so does, with `tile-n` = 32 (AVX-512: two
    lines), a product of 512 columns or more (its operand's rows 2 KiB or
    more apart). A right operand that a transposing
    copy wrote for this product alone (an input gradient's Wᵀ) is then
    packed straight from the copy's source, and the copy runs only when
    the product does not pack. When such a product's rows are few (its
    left operand within 512 Ki elements, or rows x (terms + columns) under
    terms x columns), it runs instead by blocks of `tile-n` columns on
    threads, each block copying its rows of the source, transposed, into
    a panel of its own in the copy's buffer and running every row tile
    over it (an `scf.if` on the rows holds both forms). So does a product
    with a static right operand that would pack line panels (X · W) when
    rows x (terms + columns) is under terms x columns, each block copying
    its columns of the operand. A static number of
    rows takes tiles of a divisor of `tile-m` down to three quarters of
    it, else of `tile-m` and a peeled edge, which in a parallel loop runs
    as its last iteration. No sum's loop joins a parallel
    loop. Each result element
    sums its terms in the same order for any thread count. A transposing
    copy of a static 2-D buffer becomes square tiles of one vector's width
    (`tile-n` / 2), each read as rows, transposed in registers and written
    as rows. A product marked `sinter.skip_above` (causal attention's)
    has its tile loops bounded before peeling: a sum ends at the tile end
    of the loop it may not exceed (P·V, dQ) or starts at the tile start of
    the loop it may not be below (dK, dV); the column tiles of a result
    whose upper triangle is not read (QKᵀ) end at the first tile past the
    row tile, when the columns fill whole tiles. Skipped terms are zero.

    Example: `Y[?, 512] += X[?, 784] * W[784, 512]` becomes a parallel loop
    over 8-row blocks of Y, a loop over 32-column blocks, and the sum over
    784 carrying a `vector<8x32xf32>`; its last iteration, when the batch
    modulo 8 leaves rows, runs them in tiles of 4, 2 and 1 rows.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Rows of the result in a register tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Columns of the result in a register tile (two AVX-512 vectors)">,
    Option<"registers", "registers", "int64_t", /*default=*/"32",
           "Vector registers of the target (AVX-512: 32; AVX2, SSE: 16); a "
           "window tile's accumulators and the values a step keeps loaded "
           "fit in them">,
    Option<"minParallelIterations", "min-parallel-iterations", "int64_t",
           /*default=*/"::sinter::kMinParallelIterations",
           "Smallest iteration space worth a parallel region">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect"];
}

def FuseEpilogues : Pass<"sinter-fuse-epilogues", "::mlir::func::FuncOp"> {
  let summary = "Runs short elementwise consumers of a contraction on each finished result tile";
  let description = [{
    Expects the register-tiled nests of sinter-tile-contractions and
    sinter-split-batch-sums, before sinter-parallelize-loops. A top-level
    elementwise `linalg.generic` (all loops parallel, no `linalg.index`,
    outputs in its loop order and not read, a body of at most 8 ops, other
    inputs read by projections: a bias, or a second tensor whole)
    that reads, in its loop order, a buffer allocated in the function
    becomes the epilogue of the nearest top-level op before it using that
    buffer (the contraction's nest) when: before the nest the buffer is at
    most filled whole; every write into it inside the nest is a tile write
    (an in-bounds vector write, or a linalg op's output window: a scalar
    edge tile) through windows made inside the nest, after which no op of
    its block writes there again and every enclosing `scf.for` up to the
    nest moves it with its indices or runs it in its last iteration only
    (so not a sum in blocks: its tiles are written once, finished); the
    nest writes none of the consumer's inputs and uses none of its outputs
    (writes into buffers it allocates, packed panels on the heap or the
    stack, are its own);
    the ops between the nest and the consumer write none of its inputs and
    use none of its outputs. A consumer that reads the buffer through an
    expand_shape (a Dense layer on sequences: [B * T, N] read as [B, T, N])
    is first rewritten over the buffer's dimensions (collapse_shape of its
    other operands), and kept so only if it then fuses; so is one that
    reads it through a collapse_shape (a window product's [N, H, W, 1, C]
    tiles read as [N, H, W, C]) over the tiles' dimensions (expand_shape of
    its other operands, static groups only), when it reads no second
    tensor whole: a bias and activation, not a ReLU gradient's mask
    (vgg-cifar's input gradients ran 1-2 % slower with their masks on the
    tiles).

    A copy of the consumer over each tile row's window of every operand
    then runs right after the tile's write (the consumer's output
    allocations move before the nest), vectorized when the tile is static
    and reading the row's values from the written vector, not from memory;
    the consumer goes, and the product's buffer too when nothing reads it
    any more. Each element is computed by the same operations as before:
    results are bit-identical.

    A nest that is an `scf.if` of schedules may have a branch whose writes
    are not all final (a sum in blocks, each block's products added to
    the result: mnist-mlp's first layer sums its 784 terms so from 309
    rows, in one schedule of the two its nest has): that branch runs
    the consumer whole at its end, which is the nest's end, and the other
    branches on their tiles. A branch on tiles then stores the product
    only if it reads it itself: on two Zen 5 cores, storing both the
    product and the consumer's result from mnist-mlp's first-layer tiles
    made the product 48 us slower, more than the 22 us pass it replaced.

    Short bodies and broadcast inputs only, as measured on gpt-mini (Zen
    3): bias adds on the tiles cost nothing (within the host's noise); the
    GELU and its gradient (22 and 51 ops: polynomial constants that come
    back between the tiles) made their products 16 % slower than as passes
    of their own; a residual add or ReLU's gradient (a second tensor read
    whole, missing the cache between tiles where a pass streams it) gained
    nothing.

    A consumer with a longer body whose start (at most 8 ops reading only
    its inputs) is also one of its results, as a Dense layer's x·W + b
    kept for the GELU's gradient, is split in two when the start then
    fuses: the start on the tiles, writing that result, and the rest a
    pass reading it. The product no longer writes x·W for a pass to read
    back (gpt-mini: its MLP's activation pass 1000 -> 690 us on two Zen 5
    cores with AVX2 code, the step 2-4 % faster).

    Example: a Dense layer's bias add and ReLU

    ```mlir
    // the nest: scf.parallel over rows of 6 { ... scf.for over k ...
    //   vector.transfer_write %acc, %y[%i, %j] : vector<6x16xf32> ... }
    linalg.generic ins(%y, %bias) outs(%a) { max(y + b, 0) }
    ```

    becomes, after each tile's sum (the write into `%y` goes with `%y`),

    ```mlir
    %r0 = vector.extract %acc[0] : vector<16xf32> from vector<6x16xf32>
    %v0 = vector.shape_cast %r0 : vector<16xf32> to vector<1x16xf32>
    %b0 = vector.transfer_read %bias_window[%c0], ... : vector<1x16xf32>
    %s0 = arith.addf %v0, %b0 : vector<1x16xf32>
    ... vector.transfer_write %relu0, %a_row0[%c0, %c0] ...
    // and so for rows 1 to 5
    ```
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def WriteIntoPads : Pass<"sinter-write-into-pads", "::mlir::func::FuncOp"> {
  let summary = "Lets the op that computes a padded value write it into its pad";
  let description = [{
    Expects bufferized functions after sinter-fuse-epilogues, before
    sinter-parallelize-loops. A `linalg.copy` (outside loops) of a buffer
    allocated in the function into a window of the same shape of another
    such buffer (a convolution's padded input, its interior) goes when:
    one linalg op, before the copy, writes the buffer (its only output,
    not read in its body) and reads nothing of the pad; every other user
    of the buffer is a linalg op reading it after the copy, or its
    deallocation; between the writer and the copy the pad is only filled
    in windows apart from the copied one (its border); after the copy the
    pad is only read. The writer then writes the window (the pad is
    allocated where the buffer was), the readers read the window, and the
    buffer goes. The writer may also be a product's nest whose epilogue
    (of sinter-fuse-epilogues) writes the buffer tile by tile through an
    expand_shape or subviews of it, used only by vector transfers inside
    the nest: those views are made again on the window (a window
    product's tiles stay inside an image row). A buffer whose tiles are
    written through a collapse_shape (a product's rows of positions,
    which run on past an image row) stays.

    Example: a ReLU padded for the next convolution

    ```mlir
    %r = memref.alloc(%n) : memref<?x32x32x32xf32>
    linalg.generic ... outs(%r : memref<?x32x32x32xf32>)
    %pad = memref.alloc(%n) : memref<?x33x33x32xf32>
    ... linalg.fill of the last row and column of %pad ...
    %in = memref.subview %pad[0, 0, 0, 0] [%n, 32, 32, 32] [1, 1, 1, 1]
    linalg.copy ins(%r : ...) outs(%in : ...)
    ```

    becomes `%pad` and `%in` before the ReLU, which writes `%in`; no copy.
  }];
}

def SplitBatchSums : Pass<"sinter-split-batch-sums", "::mlir::func::FuncOp"> {
  let summary = "Splits the batch sum of a short parallel loop into parts run in parallel";
  let description = [{
    Expects the register tiles of sinter-tile-contractions, before
    sinter-parallelize-loops. A top-level `scf.parallel` of fewer than 16
    iterations whose body is sums over the batch (`scf.for`s from 0 to
    one bound known at run time, their accumulators starting at zero, only
    reads inside: a tile's, and its column edge's where the columns do not
    fill registers) and tile writes whose iterations together cover their
    static result exactly once (counted element by element) becomes an `scf.parallel` over (part, iterations):
    the batch in 16 contiguous parts (part p rows [p * n / 16, (p + 1) * n / 16)), each part's sums written into its slice of a
    buffer of partial results, and a `linalg.generic` after it adding the
    parts in order into the result. The number of parts does not depend on
    the thread count, so neither do the results; they round differently
    from one sum over the whole batch. Sixteen parts whatever the
    iterations: a thread runs consecutive parts, each over a few images
    whose rows stay in L2 across the part's tiles.

    Example: lenet's first filter gradient, 5 rows of taps each summing
    over every image (3 rows on one thread, 2 on the other), becomes 80
    iterations of 16 parts by 5 rows: each thread sums the images of its
    own half of the batch, those its per-image loops wrote. lenet-caffe's
    (20 filters: a tile of 16 and an edge of 4 in each of 5 iterations) ran
    on one thread for 194-201 us and on the other for 292-356; in 4 parts
    both threads take 184-211 us.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def OutlineLoopNests : Pass<"sinter-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Moves each large top-level loop nest into a function of its own";
  let description = [{
    Expects bufferized functions whose loops are scf loops (linalg and
    vector transfers lowered, SCF and OpenMP not yet). Every op at the top
    level of a function that holds regions and at least `min-ops` ops
    becomes a call to a new private function (`noinline`, internal
    linkage) holding it; the values it uses from above are the callee's
    arguments, except constants, which are cloned into it; a window of a
    buffer at a constant offset (a layer's weights in the parameters) is
    passed with the offset dynamic, so that repeated blocks' nests are the
    same function, which LLVM merges. LLVM's cost per
    function grows faster than its size, and sinterc compiles whole
    functions on separate cores: split into nests, a training pass
    spreads over the cores, and nests that repeat are merged by LLVM
    before being compiled once. The same ops run in the same order.

    Example (`min-ops` = 4):
    ```mlir
    func.func @step(%x: memref<8xf32>) {
      %c0 = arith.constant 0 : index
      %c8 = arith.constant 8 : index
      %c1 = arith.constant 1 : index
      scf.for %i = %c0 to %c8 step %c1 {
        %v = memref.load %x[%i] : memref<8xf32>
        %w = arith.mulf %v, %v : f32
        memref.store %w, %x[%i] : memref<8xf32>
      }
      return
    }
    ```
    becomes `call @step_nest(%x)` and
    `func.func private @step_nest(%x: memref<8xf32>)` holding the loop
    with its own constants.
  }];
  let options = [
    // gpt-mini compiled in 6.0-6.7 s with 8 (4: 6.0-7.7 s; none: 8.5-10.3
    // s); a nest of a few ops costs more to call than to compile.
    Option<"minOps", "min-ops", "int64_t", /*default=*/"8",
           "Smallest nest (ops inside, itself included) moved into a function">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def LowerScfToCf : Pass<"sinter-lower-scf-to-cf", "::mlir::func::FuncOp"> {
  let summary = "Lowers scf.for and scf.if to branches without the dialect conversion's bookkeeping";
  let description = [{
    Upstream's SCF-to-ControlFlow patterns applied to each scf.for and
    scf.if by a greedy rewrite instead of the dialect conversion of
    `convert-scf-to-cf`. Each loop's lowering splits its block after the
    loop; the conversion records every op the split moves so that it can
    undo it, which after memref lowering (tens of LLVM ops per load) was
    nearly all of the pass's time: 0.5 s of gpt-mini's compile with AVX2
    tiles, 0.03 s now. The same patterns make the same blocks and
    branches. Other scf ops (scf.while, whose lowering does not survive a
    greedy rewrite; Sinter makes none) go through the conversion after.

    Example:
    ```mlir
    scf.for %i = %c0 to %c8 step %c1 {
      "use"(%i) : (index) -> ()
    }
    ```
    becomes
    ```mlir
      cf.br ^bb1(%c0 : index)
    ^bb1(%i: index):
      %lt = arith.cmpi slt, %i, %c8 : index
      cf.cond_br %lt, ^bb2, ^bb3
    ^bb2:
      "use"(%i) : (index) -> ()
      %next = arith.addi %i, %c1 : index
      cf.br ^bb1(%next : index)
    ^bb3:
    ```
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect",
                           "::mlir::arith::ArithDialect"];
}

def PackTrainerABI : Pass<"sinter-pack-trainer-abi", "::mlir::ModuleOp"> {
  let summary = "Gives the entry points the fixed, flat-buffer trainer ABI";
  let description = [{
    Expects the four entry points of sinter-build-train-step. Rewrites each
    signature to the ABI of runtime/include/sinter/abi.h: every argument is a
    flat 1-D memref (inputs, target, one buffer for all parameters, one for
    all optimizer slots, one for gradients or predictions) plus the scalar
    hyperparameters, and only the loss is returned. Parameters and slots are
    disjoint windows of their buffer entering as `to_tensor restrict
    writable`; results leave by `materialize_in_destination` into their
    window, so One-Shot Bufferize updates them in place. The private
    functions the entry points call take those windows (and the inputs)
    as memrefs of the same layout, so no call copies a parameter.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ResultsIntoDestinations : Pass<"sinter-results-into-destinations", "::mlir::ModuleOp"> {
  let summary = "Lets private functions write their results into their callers' buffers";
  let description = [{
    Expects private functions returning tensors that each caller writes into
    a buffer straight away: the call's result has one use, a
    `bufferization.materialize_in_destination` (restrict, writable) into a
    memref of the same type at every call, whose view ops can move before
    the call. Produces callees that take that buffer as a new last argument
    and materialize the result into it themselves; the calls pass it and
    lose the result. After `eliminate-empty-tensors`, the callee computes
    the result in the caller's buffer: no allocation, no copy (the
    gradients of @sinter_training_pass, written into the gradient buffer
    of @sinter_gradients and of the fused optimizer step).
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def VectorizeNarrowOps : Pass<"sinter-vectorize-narrow-ops", "::mlir::func::FuncOp"> {
  let summary = "Computes generics with a narrow innermost dimension a row-vector at a time";
  let description = [{
    Expects linalg generics on buffers. Rewrites each generic whose
    output's innermost dimension is a parallel loop, static and at most
    two vector registers (`lanes` floats each) wide (a peeled matmul edge
    whose sum is innermost included), whose maps are dimensions and
    constants (the innermost dimension last, at unit stride), and whose
    body is elementwise, into loops over its other dimensions: the body
    reads each operand's innermost row as one vector (operands that do not
    vary along it as one broadcast scalar) and writes one vector; a row
    narrower than a power of two is read and written masked where masks
    are cheap (`lanes` 16, AVX-512), elsewhere in power-of-two pieces (6
    floats: 4 + 2; AVX2's masked store is microcoded on AMD). Sums over
    outer dimensions run inside the parallel loops, rows of partial sums
    carried in registers: one, or where the body adds each term into the
    output and the innermost sum's trip count is static, the largest of 4,
    3 and 2 dividing it (term k into row k, the rows added in order at the
    end; one row made every add wait for the one before). The order is
    fixed at compile time, the same for any thread count.
    LLVM vectorizes only innermost loops, and unrolls short ones before it
    could, so such a generic (a bias + ReLU or a pool over 6 or 16
    channels, a bias gradient) otherwise runs scalar. Generics whose
    operands all use the identity map on contiguous buffers are left to
    LLVM, which merges their loops. A sum into rows wider than two
    registers (a dense layer's bias gradient over 120 features) is first
    cut into blocks of two registers along its rows, the last one peeled,
    each block then such a generic. A copy transposing rows narrower than
    a vector (channels first to channels last) runs in blocks of `lanes`
    positions: a vector load per channel along the input's contiguous
    dimension, one shuffle into rows, one store (a store a row where the
    rows are apart in the output); elementwise ops merged into the copy
    (a bias and activation) apply to the block's rows, inputs that vary
    along the row only (a bias) repeated for each. The mirror copy, narrow
    input rows into output rows along the positions (channels last to
    channels first, for a filter gradient along the positions), runs in
    blocks of positions too: the block's input rows read (one load where
    they follow each other), one shuffle, one store per output row.

    Example: a 2x2 max pool over `memref<?x14x2x14x2x6xf32>` into
    `memref<?x14x14x6xf32>` becomes three `scf.for` loops whose body holds
    four `vector.maskedload ... vector<8xf32>` (mask [6]), the max on
    vectors, and one `vector.maskedstore`.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "floats in a vector register: innermost dimensions up to twice "
           "this are vectorized">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // SINTER_PASSES
