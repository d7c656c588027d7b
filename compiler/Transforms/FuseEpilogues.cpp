//===- FuseEpilogues.cpp - elementwise consumers on finished result tiles -===//
//
// Expects: the register-tiled loop nests of sinter-tile-contractions (and
// sinter-split-batch-sums), before sinter-parallelize-loops. Produces: each
// short top-level elementwise `linalg.generic` that reads a contraction's
// result (a bias add, with or without an activation; an activation's
// gradient, a residual add) applied inside the contraction's nest, on each
// row of each result tile right after the tile's final write, and no
// longer as a pass of its own over the whole result. A static tile's epilogue
// is vectorized and takes the accumulator's values from the write (the
// registers), not from memory; a result nothing reads afterwards is not stored
// at all. A consumer too long for the tiles whose short start is one of its
// results (x·W + b kept for the GELU's gradient) is split: the start runs
// on the tiles, the rest in a pass reading what the start wrote.
// A nest of schedules (an scf.if) whose branch sums in blocks, its tile
// writes not final, runs the consumer whole at that branch's end. A
// consumer reading the product reshaped (rows of a sequence, a window
// product's [N, H, W, 1, C] tiles) is rewritten over the product's
// dimensions first. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"

namespace sinter {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Operations an epilogue's body may have (its yield aside); see
/// isEpilogueShaped.
constexpr size_t kMostEpilogueOps = 8;

/// An elementwise consumer and the contraction nest it can run inside.
struct Epilogue {
  linalg::GenericOp op;
  Value result;    // the contraction's result buffer the epilogue reads
  Operation *nest; // the top-level op whose tiles write it
  // Allocations of its operands made after the nest (and reshapes of
  // them), in order: they move before it.
  SmallVector<Operation *> moveUp;
  SmallVector<Operation *> writes;
  // Branches of the nest (an scf.if's regions) where a write into the
  // result is not final: the epilogue runs there whole, at the end.
  SmallVector<Region *> wholeIn;
};

/// The region of `nest` that holds `op`.
Region *branchOf(Operation *op, Operation *nest) {
  for (Region &region : nest->getRegions())
    if (region.isAncestor(op->getParentRegion()))
      return &region;
  return nullptr;
}

/// Whether `op` is elementwise on buffers: every loop parallel, no
/// `linalg.index` (a copy over a window of its loops computes the same).
bool isPlainElementwise(linalg::GenericOp op) {
  return op.hasPureBufferSemantics() &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         op.getBody()->getOps<linalg::IndexOp>().empty();
}

/// Whether `op` is elementwise with outputs in the iteration order (not
/// read), reading `result` in that order too and its other inputs by
/// projections (a bias, or a second tensor whole), with a short body.
/// Measured on gpt-mini (Zen 3): bias adds on the tiles cost nothing
/// (within the host's noise); the GELU (22 ops, polynomial constants
/// rematerialized between tiles) and its gradient (51) on the tiles made
/// their products 16 % slower than as passes of their own. Epilogues
/// reading a second tensor whole (a residual add, ReLU's gradient) gained
/// nothing there, but on two Zen 5 cores mnist-mlp's ReLU gradients as
/// passes of their own took 2 x 17 us a step (lines of the input gradient
/// written by the other core); on the tiles the step ran 2 % faster,
/// gpt-mini's alike, lenet's 4 % faster.
bool isEpilogueShaped(linalg::GenericOp op, Value result) {
  if (!isPlainElementwise(op) ||
      op.getBody()->getOperations().size() > kMostEpilogueOps + 1)
    return false;
  bool reads = false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return false;
    bool identity = map.isIdentity();
    if (op.isDpsInit(&operand) &&
        (!identity || !op.getMatchingBlockArgument(&operand).use_empty()))
      return false;
    if (operand.get() == result) {
      if (!identity)
        return false;
      reads |= op.isDpsInput(&operand);
    }
  }
  return reads;
}

/// A use of a buffer through a view of it (or the buffer itself).
struct ViewUse {
  Operation *user;
  Value view;
};

/// The uses of `buffer` and of the views of it, the views' own aside; the
/// views go to `views` (if given), each after the view it is of.
SmallVector<ViewUse>
usesThroughViews(Value buffer, SmallVectorImpl<Operation *> *views = {}) {
  SmallVector<ViewUse> uses;
  SmallVector<Value> worklist{buffer};
  while (!worklist.empty()) {
    Value view = worklist.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (auto viewLike = dyn_cast<ViewLikeOpInterface>(user);
          viewLike && viewLike.getViewSource() == view) {
        if (views)
          views->push_back(user);
        llvm::append_range(worklist, user->getResults());
      } else {
        uses.push_back({user, view});
      }
    }
  }
  return uses;
}

/// Whether `use` is a vector write into its view.
bool isWriteInto(ViewUse use) {
  auto write = dyn_cast<vector::TransferWriteOp>(use.user);
  return write && write.getSource() == use.view;
}

/// Whether the top-level ops before `nest` write `result` at most by
/// filling it whole (through views of it too).
bool onlyFilledBefore(Value result, Operation *nest) {
  return llvm::all_of(usesThroughViews(result), [&](ViewUse use) {
    Operation *top = nest->getBlock()->findAncestorOpInBlock(*use.user);
    if (!top || !top->isBeforeInBlock(nest))
      return true;
    auto fill = dyn_cast<linalg::FillOp>(use.user);
    return isa<memref::DimOp, memref::DeallocOp>(use.user) ||
           (fill && fill.getDpsInits().front() == result);
  });
}

/// Whether `op` writes into one of `reads` (buffers, not views), uses one
/// of `outputs`, or writes where it cannot be told.
bool interferes(Operation *op, const SetVector<Value> &reads,
                const SetVector<Value> &outputs) {
  WalkResult walk = op->walk([&](Operation *inner) {
    if (isa<ViewLikeOpInterface>(inner))
      return WalkResult::advance();
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && outputs.contains(bufferOf(v)))
        return WalkResult::interrupt();
    if (!mayWrite(inner))
      return WalkResult::advance();
    std::optional<SmallVector<Value>> dests = buffersWrittenBy(inner);
    if (!dests || llvm::any_of(*dests, [&](Value dest) {
          return reads.contains(bufferOf(dest));
        }))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// The ops defining `v` that must move before `nest` for `v` to be
/// available there (an output's allocation, and reshapes of it), in
/// order; nullopt when `v` cannot be.
std::optional<SmallVector<Operation *>> toMoveBefore(Value v, Operation *nest,
                                                     DominanceInfo &dominance) {
  SmallVector<Operation *> chain;
  while (!dominance.properlyDominates(v, nest)) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != nest->getBlock() ||
        !isa<memref::AllocOp, memref::CollapseShapeOp, memref::ExpandShapeOp>(
            def))
      return std::nullopt;
    chain.push_back(def);
    // Sizes (an allocation's, an expand_shape's output shape) made before.
    ValueRange sizes = def->getOperands();
    if (!isa<memref::AllocOp>(def))
      sizes = sizes.drop_front();
    if (!llvm::all_of(sizes, [&](Value size) {
          return dominance.properlyDominates(size, nest);
        }))
      return std::nullopt;
    if (isa<memref::AllocOp>(def))
      break;
    v = def->getOperand(0);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

/// The epilogue `op` can be when it reads, in its own order, a buffer
/// allocated in the function whose only writes since its fill are final
/// tile writes of the nearest top-level op before `op` using it.
std::optional<Epilogue> epilogueFor(linalg::GenericOp op,
                                    DominanceInfo &dominance) {
  Block *block = op->getBlock();
  for (Value input : op.getDpsInputs()) {
    if (!input.getDefiningOp<memref::AllocOp>() || !isEpilogueShaped(op, input))
      continue;
    SetVector<Value> inputBases, outputBases;
    for (OpOperand &operand : op->getOpOperands())
      if (operand.get() != input)
        (op.isDpsInit(&operand) ? outputBases : inputBases)
            .insert(bufferOf(operand.get()));
    // The nest: the nearest op before with regions that uses the buffer;
    // the ops in between write none of `op`'s inputs and use none of its
    // outputs (gpt-mini's weight gradients run between an input gradient
    // and the activation's gradient that reads it).
    inputBases.insert(input);
    Operation *nest = nullptr;
    bool blocked = false;
    for (Operation *prev = op->getPrevNode(); prev && !blocked && !nest;
         prev = prev->getPrevNode()) {
      // A view of the result is no access (its users are).
      if (isa<ViewLikeOpInterface>(prev))
        continue;
      bool usesResult = false;
      prev->walk([&](Operation *inner) {
        usesResult |= llvm::is_contained(inner->getOperands(), input);
      });
      if (usesResult)
        nest = prev;
      else
        blocked = interferes(prev, inputBases, outputBases);
    }
    inputBases.remove(input);
    if (blocked || !nest || nest->getNumRegions() == 0 ||
        nest->getBlock() != block || !onlyFilledBefore(input, nest))
      continue;
    // Its operands defined before the nest, or outputs allocated after it
    // (they move up).
    SetVector<Operation *> moveUp;
    if (!llvm::all_of(op->getOperands(), [&](Value v) {
          std::optional<SmallVector<Operation *>> chain =
              toMoveBefore(v, nest, dominance);
          if (chain)
            moveUp.insert(chain->begin(), chain->end());
          return chain.has_value();
        }))
      continue;
    // Inside the nest: views of the buffer, reads of it, final tile writes
    // into it, writes into buffers of its own (packed panels); none of
    // `op`'s other operands written, its outputs not used. A branch of an
    // scf.if nest may also write tiles that are not final (a sum in
    // blocks adds each block's products to the result): the epilogue runs
    // whole at that branch's end, which is the nest's end, and on the
    // tiles of the other branches.
    Epilogue epilogue{op, input, nest, moveUp.takeVector(), {}, {}};
    SetVector<Region *> wholeIn;
    OpBuilder b(op->getContext());
    WalkResult walk = nest->walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        if (isa<MemRefType>(v.getType()) && outputBases.contains(bufferOf(v)))
          return WalkResult::interrupt();
      if (isa<ViewLikeOpInterface>(inner) || !mayWrite(inner))
        return WalkResult::advance();
      std::optional<SmallVector<Value>> dests = buffersWrittenBy(inner);
      if (!dests)
        return WalkResult::interrupt();
      for (Value dest : *dests) {
        Value base = bufferOf(dest);
        if (base == input) {
          SmallVector<Value> moving;
          std::optional<TileRegion> region =
              regionOf(inner, input, nest, b, &moving);
          if (!region || !isFinalWrite(inner, input, *region, moving, nest)) {
            if (!isa<scf::IfOp>(nest))
              return WalkResult::interrupt();
            wholeIn.insert(branchOf(inner, nest));
            continue;
          }
          epilogue.writes.push_back(inner);
        } else if (!isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(
                       base.getDefiningOp()) ||
                   inputBases.contains(base)) {
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    llvm::erase_if(epilogue.writes, [&](Operation *write) {
      return wholeIn.contains(branchOf(write, nest));
    });
    if (walk.wasInterrupted() || epilogue.writes.empty())
      continue;
    epilogue.wholeIn = wholeIn.takeVector();
    return epilogue;
  }
  return std::nullopt;
}

/// The window of `operand` (read by `map` over the epilogue's iterations)
/// that `region` of the iteration space touches.
Value windowOf(OpBuilder &b, Location loc, Value operand, AffineMap map,
               const TileRegion &region) {
  SmallVector<OpFoldResult> offsets, sizes;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    unsigned d = map.getDimPosition(r);
    offsets.push_back(region.offsets[d]);
    sizes.push_back(region.sizes[d]);
  }
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return b.create<memref::SubViewOp>(loc, operand, offsets, sizes, strides);
}

/// Replaces the epilogue's vectorized reads of the whole window
/// `tileView` from its origin by `value`, the values just written there.
void forwardTile(Value value, Value tileView, RewriterBase &rewriter) {
  auto window = cast<MemRefType>(tileView.getType());
  auto from = cast<VectorType>(value.getType());
  for (Operation *user : llvm::make_early_inc_range(tileView.getUsers())) {
    auto read = dyn_cast<vector::TransferReadOp>(user);
    if (!read || !read.getPermutationMap().isMinorIdentity() ||
        read.getMask() ||
        read.getVectorType().getShape() != window.getShape() ||
        !llvm::all_of(read.getIndices(),
                      [](Value i) { return isConstantIntValue(i, 0); }))
      continue;
    VectorType to = read.getVectorType();
    if (from.getNumElements() != to.getNumElements())
      continue;
    rewriter.setInsertionPoint(read);
    Value forwarded = value;
    if (from != to)
      forwarded =
          rewriter.create<vector::ShapeCastOp>(read.getLoc(), to, value);
    rewriter.replaceOp(read, forwarded);
  }
}

/// A copy of `op` over `region` of its iterations, at the rewriter's
/// insertion point; vectorized when static, taking `written` (when given)
/// for its reads of `result`.
LogicalResult runOnRegion(linalg::GenericOp op, Value result,
                          const TileRegion &region, Value written,
                          RewriterBase &rewriter) {
  // Vectorizing moves the insertion point to the tile, which it erases.
  OpBuilder::InsertionGuard guard(rewriter);
  IRMapping map;
  Value tileView;
  for (OpOperand &operand : op->getOpOperands()) {
    if (map.contains(operand.get()))
      continue;
    Value view = windowOf(rewriter, op.getLoc(), operand.get(),
                          op.getMatchingIndexingMap(&operand), region);
    if (operand.get() == result)
      tileView = view;
    map.map(operand.get(), view);
  }
  auto tile = cast<linalg::GenericOp>(rewriter.clone(*op, map));
  if (tile.hasDynamicShape() || failed(linalg::vectorizeOpPrecondition(tile)))
    return success(); // a scalar edge tile: loops later
  if (failed(linalg::vectorize(rewriter, tile)))
    return tile.emitError("could not vectorize this epilogue tile");
  if (written)
    forwardTile(written, tileView, rewriter);
  return success();
}

/// A copy of elementwise `op` with `operands` read by `maps` (over as many
/// parallel loops as they have dimensions), at the rewriter's point.
linalg::GenericOp reshapedCopy(linalg::GenericOp op, ValueRange operands,
                               ArrayRef<AffineMap> maps,
                               RewriterBase &rewriter) {
  SmallVector<utils::IteratorType> iterators(maps.front().getNumDims(),
                                             utils::IteratorType::parallel);
  auto copy = rewriter.create<linalg::GenericOp>(
      op.getLoc(), TypeRange{}, operands.take_front(op.getNumDpsInputs()),
      operands.drop_front(op.getNumDpsInputs()), maps, iterators);
  IRMapping body;
  op.getRegion().cloneInto(&copy.getRegion(), body);
  return copy;
}

/// `op` over the iterations of a buffer it reads through an expand_shape
/// (a matmul's [B * T, N] result read as [B, T, N]), built before it: each
/// operand indexed by a group of those dimensions read through a
/// collapse_shape of them (the expanded buffer itself for an expand_shape
/// of the same groups), the others unchanged; null when an operand reads a
/// group's dimensions apart or out of order, or cannot collapse.
linalg::GenericOp collapsedLike(linalg::GenericOp op, RewriterBase &rewriter) {
  if (!isPlainElementwise(op))
    return {};
  SmallVector<ReassociationIndices> groups;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto expand = input->get().getDefiningOp<memref::ExpandShapeOp>();
    if (expand && expand.getSrc().getDefiningOp<memref::AllocOp>() &&
        op.getMatchingIndexingMap(input).isIdentity()) {
      groups = expand.getReassociationIndices();
      break;
    }
  }
  if (groups.empty())
    return {};
  // Loop d of `op` is loop groupOf[d] of the collapsed op.
  SmallVector<unsigned> groupOf(op.getNumLoops());
  for (auto [g, group] : llvm::enumerate(groups))
    for (int64_t d : group)
      groupOf[d] = g;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<AffineExpr> results;
    SmallVector<ReassociationIndices> operandGroups;
    for (unsigned r = 0; r < map.getNumResults();) {
      const ReassociationIndices &group =
          groups[groupOf[map.getDimPosition(r)]];
      ReassociationIndices taken;
      for (int64_t d : group) {
        if (r + taken.size() >= map.getNumResults() ||
            map.getDimPosition(r + taken.size()) != unsigned(d))
          return {};
        taken.push_back(r + taken.size());
      }
      results.push_back(rewriter.getAffineDimExpr(groupOf[group.front()]));
      operandGroups.push_back(taken);
      r += taken.size();
    }
    maps.push_back(AffineMap::get(groups.size(), 0, results, op.getContext()));
    Value value = operand.get();
    auto type = cast<MemRefType>(value.getType());
    if (operandGroups.size() == size_t(type.getRank())) {
      operands.push_back(value);
      continue;
    }
    auto expand = value.getDefiningOp<memref::ExpandShapeOp>();
    if (expand && expand.getReassociationIndices() == operandGroups) {
      operands.push_back(expand.getSrc());
      continue;
    }
    if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, operandGroups))
      return {};
    operands.push_back(
        rewriter.create<memref::CollapseShapeOp>(loc, value, operandGroups));
  }
  return reshapedCopy(op, operands, maps, rewriter);
}

/// `op` over the iterations of a buffer it reads through a collapse_shape
/// (a window product's [N, H, W, 1, C] tiles read as [N, H, W, C]), built
/// before it: each operand's dimension indexed by a collapsed group read
/// through an expand_shape of it to the group's sizes (the buffer itself
/// for the collapse_shape). Null when an expanded group has a dynamic
/// size or an operand cannot expand.
linalg::GenericOp expandedLike(linalg::GenericOp op, RewriterBase &rewriter) {
  if (!isPlainElementwise(op))
    return {};
  memref::CollapseShapeOp collapse;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto c = input->get().getDefiningOp<memref::CollapseShapeOp>();
    if (c && c.getSrc().getDefiningOp<memref::AllocOp>() &&
        op.getMatchingIndexingMap(input).isIdentity()) {
      collapse = c;
      break;
    }
  }
  // Only a bias and activation: with a second tensor read whole (a ReLU
  // gradient's mask after an input gradient) vgg-cifar's input gradients
  // ran 1-2 % slower on their tiles than as passes of their own.
  if (!collapse || llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
        return in->get() != collapse.getResult() &&
               op.getMatchingIndexingMap(in).getNumResults() ==
                   op.getNumLoops();
      }))
    return {};
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  Value full = collapse.getSrc();
  ArrayRef<int64_t> fullShape = collapse.getSrcType().getShape();
  if (llvm::any_of(groups, [&](const ReassociationIndices &group) {
        return group.size() > 1 && llvm::any_of(group, [&](int64_t d) {
                 return ShapedType::isDynamic(fullShape[d]);
               });
      }))
    return {};
  // Each operand's maps, shape and groups over the expanded loops, and
  // its expanded type where a group expands it.
  struct Expanded {
    AffineMap map;
    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> shape;
    MemRefType type;
  };
  MLIRContext *ctx = op.getContext();
  SmallVector<Expanded> expanded;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = cast<MemRefType>(operand.get().getType());
    Expanded e;
    SmallVector<AffineExpr> results;
    for (unsigned r = 0; r < map.getNumResults(); ++r) {
      const ReassociationIndices &group = groups[map.getDimPosition(r)];
      ReassociationIndices taken;
      for (int64_t d : group) {
        taken.push_back(results.size());
        results.push_back(getAffineDimExpr(d, ctx));
        e.shape.push_back(group.size() == 1 ? type.getDimSize(r)
                                            : fullShape[d]);
        // A dynamic size is the buffer's.
        if (ShapedType::isDynamic(e.shape.back()) &&
            !ShapedType::isDynamic(fullShape[d]))
          return {};
      }
      e.groups.push_back(taken);
    }
    e.map = AffineMap::get(fullShape.size(), 0, results, ctx);
    e.type = type;
    if (operand.get() != collapse.getResult() &&
        results.size() != e.groups.size()) {
      FailureOr<MemRefType> to =
          memref::ExpandShapeOp::computeExpandedType(type, e.shape, e.groups);
      if (failed(to))
        return {};
      e.type = *to;
    }
    expanded.push_back(std::move(e));
  }
  Location loc = op.getLoc();
  auto alloc = full.getDefiningOp<memref::AllocOp>();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> operands;
  for (auto [operand, e] : llvm::zip(op->getOpOperands(), expanded)) {
    Value value = operand.get();
    if (value == collapse.getResult()) {
      operands.push_back(full);
      continue;
    }
    if (e.type == value.getType()) {
      operands.push_back(value);
      continue;
    }
    // Dynamic sizes are the buffer's allocation's (before the product,
    // where a fused epilogue's operands move).
    SmallVector<OpFoldResult> outputShape;
    for (auto [k, size] : llvm::enumerate(e.shape)) {
      unsigned d = e.map.getDimPosition(k);
      outputShape.push_back(
          ShapedType::isDynamic(size)
              ? OpFoldResult(
                    alloc.getDynamicSizes()[alloc.getType().getDynamicDimIndex(
                        d)])
              : OpFoldResult(rewriter.getIndexAttr(size)));
    }
    operands.push_back(rewriter.create<memref::ExpandShapeOp>(
        loc, e.type, value, e.groups, outputShape));
  }
  SmallVector<AffineMap> maps =
      llvm::map_to_vector(expanded, [](const Expanded &e) { return e.map; });
  return reshapedCopy(op, operands, maps, rewriter);
}

/// Erases `buffer` when nothing reads it any more: its uses, through views,
/// are vector writes and its deallocation (an epilogue took every tile's
/// values from the registers, and the result is no other op's operand).
void eraseIfWriteOnly(Value buffer, RewriterBase &rewriter) {
  SmallVector<Operation *> views;
  SmallVector<ViewUse> uses = usesThroughViews(buffer, &views);
  if (!llvm::all_of(uses, [](ViewUse use) {
        return isWriteInto(use) || isa<memref::DeallocOp>(use.user);
      }))
    return;
  for (ViewUse use : uses)
    rewriter.eraseOp(use.user);
  // Views after the views they are of: erase the last made first.
  for (Operation *op : llvm::reverse(views))
    rewriter.eraseOp(op);
  rewriter.eraseOp(buffer.getDefiningOp());
}

/// Erases the writes into `buffer` in `branch` of `nest` when nothing in
/// the branch reads it (its epilogue took every tile's values from the
/// registers) and nothing after the nest does: only the other branches'
/// whole epilogues (and their sums in blocks) read it. Stores nothing
/// reads would cost the branch's tiles a second stream of writes.
void eraseWritesIn(Region &branch, Value buffer, Operation *nest,
                   RewriterBase &rewriter) {
  SmallVector<ViewUse> uses = usesThroughViews(buffer);
  auto inBranch = [&](ViewUse use) {
    return branch.isAncestor(use.user->getParentRegion());
  };
  if (!llvm::all_of(uses, [&](ViewUse use) {
        if (inBranch(use))
          return isWriteInto(use);
        return nest->isAncestor(use.user) ||
               isa<memref::DeallocOp, linalg::FillOp>(use.user);
      }))
    return;
  for (ViewUse use : uses)
    if (inBranch(use))
      rewriter.eraseOp(use.user);
}

/// Runs `epilogue` after each of its tile writes (and whole at the end of
/// the branches it names) and erases it.
LogicalResult fuse(Epilogue &epilogue, RewriterBase &rewriter) {
  linalg::GenericOp op = epilogue.op;
  for (Operation *def : epilogue.moveUp)
    rewriter.moveOpBefore(def, epilogue.nest);
  for (Region *branch : epilogue.wholeIn) {
    rewriter.setInsertionPoint(branch->front().getTerminator());
    rewriter.clone(*op);
  }
  for (Operation *write : epilogue.writes) {
    rewriter.setInsertionPointAfter(write);
    std::optional<TileRegion> region =
        regionOf(write, epilogue.result, epilogue.nest, rewriter, nullptr);
    auto vec = dyn_cast<vector::TransferWriteOp>(write);
    if (!vec || vec.getVectorType().getRank() < 2) {
      Value written = vec ? vec.getVector() : Value();
      if (failed(runOnRegion(op, epilogue.result, *region, written, rewriter)))
        return failure();
      continue;
    }
    // A tile's rows one by one: the epilogue of all its rows at once
    // (gpt-mini's GELU on 6 x 16) kept every row's values live in
    // registers, and LLVM spilled them.
    VectorType type = vec.getVectorType();
    unsigned rowDim = region->offsets.size() - type.getRank();
    for (int64_t r = 0; r < type.getDimSize(0); ++r) {
      TileRegion row = *region;
      Location loc = write->getLoc();
      row.offsets[rowDim] = rewriter.createOrFold<arith::AddIOp>(
          loc,
          getValueOrCreateConstantIndexOp(rewriter, loc, row.offsets[rowDim]),
          rewriter.create<arith::ConstantIndexOp>(loc, r));
      row.sizes[rowDim] = rewriter.getIndexAttr(1);
      Value values =
          rewriter.create<vector::ExtractOp>(loc, vec.getVector(), r);
      if (failed(runOnRegion(op, epilogue.result, row, values, rewriter)))
        return failure();
    }
  }
  rewriter.eraseOp(op);
  if (epilogue.wholeIn.empty()) {
    eraseIfWriteOnly(epilogue.result, rewriter);
    return success();
  }
  for (Region &branch : epilogue.nest->getRegions())
    if (!llvm::is_contained(epilogue.wholeIn, &branch))
      eraseWritesIn(branch, epilogue.result, epilogue.nest, rewriter);
  return success();
}

/// The epilogue `op` can be, as it is or over the product's dimensions
/// when it reads them reshaped (the reshaped copy then replaces `op`; a
/// per-image op that does not fuse stays per image, for the threads).
std::optional<Epilogue> asEpilogue(linalg::GenericOp op,
                                   RewriterBase &rewriter,
                                   DominanceInfo &dominance) {
  std::optional<Epilogue> epilogue = epilogueFor(op, dominance);
  for (auto reshaped : {collapsedLike, expandedLike}) {
    if (epilogue)
      break;
    if (linalg::GenericOp like = reshaped(op, rewriter)) {
      epilogue = epilogueFor(like, dominance);
      if (epilogue) {
        rewriter.eraseOp(op);
        break;
      }
      // With the reshapes made for it: a view of an output left over
      // would keep sinter-write-into-pads from its buffer.
      SmallVector<Value> operands(like->getOperands());
      rewriter.eraseOp(like);
      for (Value v : operands)
        if (Operation *def = v.getDefiningOp();
            isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(
                def) &&
            def->use_empty())
          rewriter.eraseOp(def);
    }
  }
  return epilogue;
}

/// `values` and the body ops they are computed by, in body order, not
/// looking past `stop`; the block arguments they read go to `args`.
SetVector<Operation *> bodySlice(Block &body, ArrayRef<Value> values,
                                 Value stop, SetVector<unsigned> &args) {
  SetVector<Operation *> slice;
  SmallVector<Value> worklist(values.begin(), values.end());
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (v == stop)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == &body)
        args.insert(arg.getArgNumber());
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != &body || !slice.insert(def))
      continue;
    llvm::append_range(worklist, def->getOperands());
  }
  SmallVector<Operation *> ordered = slice.takeVector();
  llvm::sort(ordered, [](Operation *a, Operation *b) {
    return a != b && a->isBeforeInBlock(b);
  });
  return SetVector<Operation *>(ordered.begin(), ordered.end());
}

/// A generic over `op`'s loops with `op`'s inputs numbered `inputs`, then
/// `extraInputs` (with `extraMaps`), and `op`'s outputs numbered `outputs`,
/// before `op`: its body the ops of `slice`, yielding `yields`, with
/// `replaced` (if any) read from the first extra input.
linalg::GenericOp partOf(linalg::GenericOp op, ArrayRef<unsigned> inputs,
                         ValueRange extraInputs, ArrayRef<AffineMap> extraMaps,
                         ArrayRef<unsigned> outputs,
                         const SetVector<Operation *> &slice,
                         ArrayRef<Value> yields, Value replaced,
                         RewriterBase &rewriter) {
  SmallVector<Value> ins, outs;
  SmallVector<AffineMap> maps;
  for (unsigned i : inputs) {
    ins.push_back(op->getOperand(i));
    maps.push_back(op.getIndexingMapsArray()[i]);
  }
  llvm::append_range(ins, extraInputs);
  llvm::append_range(maps, extraMaps);
  for (unsigned o : outputs) {
    outs.push_back(op->getOperand(o));
    maps.push_back(op.getIndexingMapsArray()[o]);
  }
  rewriter.setInsertionPoint(op);
  auto part = rewriter.create<linalg::GenericOp>(
      op.getLoc(), TypeRange{}, ins, outs, maps,
      op.getIteratorTypesArray());
  Block &body = op.getRegion().front();
  SmallVector<Type> types;
  SmallVector<Location> locs;
  for (Value v : llvm::concat<Value>(ins, outs)) {
    types.push_back(getElementTypeOrSelf(v.getType()));
    locs.push_back(v.getLoc());
  }
  Block *block = rewriter.createBlock(&part.getRegion(), {}, types, locs);
  IRMapping map;
  for (auto [k, i] : llvm::enumerate(inputs))
    map.map(body.getArgument(i), block->getArgument(k));
  if (replaced)
    map.map(replaced, block->getArgument(inputs.size()));
  for (Operation *inner : slice)
    rewriter.clone(*inner, map);
  SmallVector<Value> yielded;
  for (Value v : yields)
    yielded.push_back(map.lookupOrDefault(v));
  rewriter.create<linalg::YieldOp>(op.getLoc(), yielded);
  return part;
}

/// Splits a generic too long to be an epilogue whose short start is also
/// one of its results: gpt-mini's MLP keeps x·W + b for the GELU's
/// gradient and writes the GELU of it. The start then runs on the
/// product's tiles (it writes x·W + b instead of the product writing x·W
/// for a pass to read back), the rest in a pass that reads what the start
/// wrote; `op` is erased. Kept only if the start fuses.
std::optional<Epilogue> startAsEpilogue(linalg::GenericOp op,
                                        RewriterBase &rewriter,
                                        DominanceInfo &dominance) {
  if (!isPlainElementwise(op) || op.getNumDpsInits() < 2)
    return std::nullopt;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  unsigned numInputs = op.getNumDpsInputs();
  for (auto [k, start] : llvm::enumerate(yield.getValues())) {
    SetVector<unsigned> startArgs;
    SetVector<Operation *> startOps = bodySlice(body, start, {}, startArgs);
    if (startOps.empty() || startOps.size() > kMostEpilogueOps ||
        llvm::any_of(startArgs, [&](unsigned a) { return a >= numInputs; }) ||
        !op.getMatchingIndexingMap(op.getDpsInitOperand(k)).isIdentity())
      continue;
    SmallVector<Value> rest;
    SmallVector<unsigned> restOutputs;
    for (auto [j, v] : llvm::enumerate(yield.getValues()))
      if (j != k) {
        rest.push_back(v);
        restOutputs.push_back(numInputs + j);
      }
    SetVector<unsigned> restArgs;
    SetVector<Operation *> restOps = bodySlice(body, rest, start, restArgs);
    if (llvm::any_of(restArgs, [&](unsigned a) { return a >= numInputs; }))
      continue;
    Value written = op.getDpsInits()[k];
    linalg::GenericOp first =
        partOf(op, startArgs.getArrayRef(), {}, {}, {numInputs + unsigned(k)},
               startOps, {start}, {}, rewriter);
    linalg::GenericOp second = partOf(
        op, restArgs.getArrayRef(), written,
        op.getMatchingIndexingMap(op.getDpsInitOperand(k)), restOutputs,
        restOps, rest, start, rewriter);
    std::optional<Epilogue> epilogue = asEpilogue(first, rewriter, dominance);
    if (!epilogue) {
      rewriter.eraseOp(second);
      rewriter.eraseOp(first);
      return std::nullopt;
    }
    rewriter.eraseOp(op);
    return epilogue;
  }
  return std::nullopt;
}

struct FuseEpiloguesPass
    : public sinter::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> candidates;
    for (Operation &op : func.getBody().front())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        candidates.push_back(generic);
    for (linalg::GenericOp op : candidates) {
      // Each fusion moves ops: dominance is recomputed for the next.
      DominanceInfo dominance(func);
      // Only an op too long as a whole may fuse its start: the whole, if
      // epilogue-shaped, reads the product where it stops fusing.
      bool tooLong =
          op.getBody()->getOperations().size() > kMostEpilogueOps + 1;
      std::optional<Epilogue> epilogue =
          tooLong ? startAsEpilogue(op, rewriter, dominance)
                  : asEpilogue(op, rewriter, dominance);
      if (epilogue && failed(fuse(*epilogue, rewriter)))
        return signalPassFailure();
    }
  }
};

} // namespace
