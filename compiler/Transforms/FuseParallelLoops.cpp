//===- FuseParallelLoops.cpp - one parallel region for per-image chains ---===//
//
// Expects: a func.func after sinter-parallelize-loops (bufferized, its
// large ops' outer loops scf.parallel). Produces: adjacent scf.parallel
// loops over the same range merged into one, where every buffer one of
// them writes and the other touches is touched only at the loop's index in
// its first dimension (both loops work on image n of the batch, nothing
// else of it). Each iteration then runs the ops one after the other on its
// own image: one parallel region and one barrier instead of one per op,
// and the image still in the cache for the next op (lenet's step: 52
// regions before, 24 after). Small serial ops between two such loops move
// before or after the pair where no buffer orders them. A small op over
// the batch (below sinter-parallelize-loops' size for a region of its own)
// that reads and writes each image's rows alone joins such a loop next to
// it as that op on the loop's image: lenet's second max pool, serial on the
// main thread after the per-image forward chain, reading rows half of
// which the other core had just written. Results do not change: every
// element is computed by the same ops in the same order. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace sinter {
#define GEN_PASS_DEF_FUSEPARALLELLOOPS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Whether `index` is `iv` (directly or through an identity affine.apply).
bool isIndex(Value index, Value iv) {
  if (!index)
    return false;
  if (index == iv)
    return true;
  auto apply = index.getDefiningOp<affine::AffineApplyOp>();
  return apply && apply.getAffineMap().isIdentity() &&
         apply.getMapOperands().size() == 1 && apply.getMapOperands()[0] == iv;
}

/// The memref the view `v` is of (a subview, expand/collapse_shape or
/// cast), else null. With `keepingFirstDim`, only a view whose first
/// dimension is its source's at the same indices (offset 0, step 1, not
/// merged with others, not dropped).
Value viewed(Value v, bool keepingFirstDim) {
  Operation *def = v.getDefiningOp();
  if (auto view = dyn_cast_or_null<memref::SubViewOp>(def)) {
    if (keepingFirstDim &&
        (getConstantIntValue(view.getMixedOffsets()[0]) != 0 ||
         getConstantIntValue(view.getMixedStrides()[0]) != 1 ||
         view.getDroppedDims().test(0)))
      return Value();
    return view.getSource();
  }
  auto firstAlone = [](ArrayRef<ReassociationIndices> groups) {
    return groups[0] == ReassociationIndices{0};
  };
  if (auto expand = dyn_cast_or_null<memref::ExpandShapeOp>(def))
    return !keepingFirstDim || firstAlone(expand.getReassociationIndices())
               ? expand.getSrc()
               : Value();
  if (auto collapse = dyn_cast_or_null<memref::CollapseShapeOp>(def))
    return !keepingFirstDim || firstAlone(collapse.getReassociationIndices())
               ? collapse.getSrc()
               : Value();
  if (auto cast = dyn_cast_or_null<memref::CastOp>(def))
    return cast.getSource();
  return Value();
}

/// The buffer `v` is a view of (through views keeping the first dimension
/// only, with `keepingFirstDim`: index i of `v`'s first dimension is then
/// index i of the buffer's): an allocation, or a function argument (a
/// buffer of its own, see usesOf). Nothing for other values.
std::optional<Value> bufferOf(Value v, bool keepingFirstDim) {
  while (Value source = viewed(v, keepingFirstDim))
    v = source;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (isa<func::FuncOp>(arg.getOwner()->getParentOp()))
      return v;
    return std::nullopt;
  }
  if (isa<memref::AllocOp, memref::AllocaOp>(v.getDefiningOp()))
    return v;
  return std::nullopt;
}

/// How a loop touches one buffer.
struct Use {
  bool writes = false;
  /// Every access is at the loop's index in the buffer's first dimension.
  bool atIndex = true;
};

/// The buffers defined outside `root` that it and the ops in it touch, or
/// nothing when an op's effects are unknown; `iv`, if any, is the index
/// accesses may be at. Function arguments count as distinct buffers: the
/// pipeline's functions get parameters, gradients and data as separate
/// buffers or disjoint windows of one (docs/abi.md).
std::optional<DenseMap<Value, Use>> usesOf(Operation *root, Value iv) {
  DenseMap<Value, Use> uses;
  bool known = true;
  // Whether `op` reaches `buffer` at `iv` of its first dimension only.
  auto atIndex = [&](Operation *op, Value buffer) -> std::optional<Value> {
    if (!iv)
      return std::nullopt;
    ValueRange indices;
    std::optional<AffineMap> spans;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      indices = load.getIndices();
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      indices = store.getIndices();
    else if (auto read = dyn_cast<vector::TransferReadOp>(op))
      indices = read.getIndices(), spans = read.getPermutationMap();
    else if (auto write = dyn_cast<vector::TransferWriteOp>(op))
      indices = write.getIndices(), spans = write.getPermutationMap();
    // 1-D vectors along the innermost dimension.
    else if (isa<vector::LoadOp, vector::StoreOp, vector::MaskedLoadOp,
                 vector::MaskedStoreOp>(op)) {
      auto rank = cast<MemRefType>(buffer.getType()).getRank();
      indices = op->getOperands().slice(isa<vector::StoreOp>(op) ? 2 : 1, rank);
      spans = AffineMap::getMinorIdentityMap(rank, 1, op->getContext());
    }
    if (!indices.empty()) {
      if (!isIndex(indices[0], iv) || (spans && spans->isFunctionOfDim(0)))
        return std::nullopt;
      return bufferOf(buffer, /*keepingFirstDim=*/true);
    }
    // A whole view: a subview at `iv` of one size in the first dimension.
    auto view = buffer.getDefiningOp<memref::SubViewOp>();
    if (!view || !root->isProperAncestor(view) ||
        !isIndex(dyn_cast_if_present<Value>(view.getMixedOffsets()[0]), iv) ||
        getConstantIntValue(view.getMixedSizes()[0]) != 1 ||
        getConstantIntValue(view.getMixedStrides()[0]) != 1)
      return std::nullopt;
    return bufferOf(view.getSource(), /*keepingFirstDim=*/true);
  };
  root->walk([&](Operation *op) {
    if (op->hasTrait<OpTrait::IsTerminator>())
      return;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        known = false;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (MemoryEffects::EffectInstance &effect : list) {
      Value buffer = effect.getValue();
      if (!buffer) {
        known = false;
        return;
      }
      std::optional<Value> base = atIndex(op, buffer);
      bool at = base.has_value();
      if (!base)
        base = bufferOf(buffer, /*keepingFirstDim=*/false);
      if (!base) {
        known = false;
        return;
      }
      // Buffers allocated inside an iteration are its own.
      if (Operation *def = base->getDefiningOp();
          def && root->isProperAncestor(def))
        continue;
      Use &use = uses[*base];
      use.writes |= isa<MemoryEffects::Write>(effect.getEffect());
      use.atIndex &= at;
    }
  });
  if (!known)
    return std::nullopt;
  return uses;
}

/// Whether two sets of uses can be reordered per iteration: every buffer
/// one writes and the other touches is touched at the index only.
bool compatible(const DenseMap<Value, Use> &a, const DenseMap<Value, Use> &b) {
  for (auto &[buffer, use] : a) {
    auto other = b.find(buffer);
    if (other == b.end() || !(use.writes || other->second.writes))
      continue;
    if (!use.atIndex || !other->second.atIndex)
      return false;
  }
  return true;
}

std::optional<DenseMap<Value, Use>> usesOf(scf::ParallelOp loop) {
  return usesOf(loop, loop.getInductionVars()[0]);
}

/// A stand-in for the size `size`, the same for sizes that are equal by
/// construction: the first dimension of a view is that of its buffer (or
/// the subview's size), of an allocation the size it was allocated with,
/// of a function argument the argument. Loops over the batch get their
/// bounds from different buffers (the input, a view of it, a buffer
/// allocated with its size).
Value sourceOfSize(Value size) {
  while (auto dim = size.getDefiningOp<memref::DimOp>()) {
    if (getConstantIntValue(dim.getIndex()) != 0)
      return size;
    Value v = dim.getSource();
    while (!v.getDefiningOp<memref::SubViewOp>())
      if (Value source = viewed(v, /*keepingFirstDim=*/true))
        v = source;
      else
        break;
    if (auto view = v.getDefiningOp<memref::SubViewOp>()) {
      auto sized = dyn_cast_if_present<Value>(view.getMixedSizes()[0]);
      if (!sized || view.getDroppedDims().test(0))
        return size;
      size = sized;
      continue;
    }
    if (isa<BlockArgument>(v))
      return v; // a function argument's (or loop's) first dimension
    auto alloc = v.getDefiningOp<memref::AllocOp>();
    if (!alloc || !alloc.getType().isDynamicDim(0))
      return size;
    size = alloc.getDynamicSizes()[0];
  }
  return size;
}

bool sameRange(scf::ParallelOp a, scf::ParallelOp b) {
  auto same = [](Value x, Value y) {
    if (getConstantIntValue(x) &&
        getConstantIntValue(x) == getConstantIntValue(y))
      return true;
    return x == y || sourceOfSize(x) == sourceOfSize(y);
  };
  return a.getNumLoops() == 1 && b.getNumLoops() == 1 &&
         a.getNumResults() == 0 && b.getNumResults() == 0 &&
         same(a.getLowerBound()[0], b.getLowerBound()[0]) &&
         same(a.getUpperBound()[0], b.getUpperBound()[0]) &&
         same(a.getStep()[0], b.getStep()[0]);
}

/// Whether `op` works image by image: a linalg op on buffers whose first
/// loop is parallel over the batch (of dynamic size), each operand either
/// indexed by it in its first dimension alone or not at all (a bias; its
/// outputs always), and nothing else telling images apart (the batch
/// index in its body, iterations skipped relative to it).
bool worksByImage(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op.getIteratorTypesArray()[0] != utils::IteratorType::parallel ||
      !ShapedType::isDynamic(op.getStaticLoopRanges()[0]) ||
      op->hasAttr(kSkipAboveAttr))
    return false;
  bool readsImageIndex = false;
  op->walk(
      [&](linalg::IndexOp index) { readsImageIndex |= index.getDim() == 0; });
  if (readsImageIndex)
    return false;
  AffineExpr batch = getAffineDimExpr(0, op.getContext());
  return llvm::all_of(op->getOpOperands(), [&](OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(0))
      return !op.isDpsInit(&operand);
    return map.getResult(0) == batch &&
           llvm::none_of(map.getResults().drop_front(),
                         [](AffineExpr e) { return e.isFunctionOfDim(0); });
  });
}

/// `op` (worksByImage) as an scf.parallel over the batch, each iteration
/// the op on one image: views of one row of the operands the batch
/// indexes, their rank kept. Its bound is the first such operand's (an
/// input's, when one is: what the loop before wrote), which sameRange
/// traces to the batch.
scf::ParallelOp byImage(linalg::LinalgOp op, OpBuilder &b) {
  Location loc = op.getLoc();
  b.setInsertionPoint(op);
  OpOperand *first = llvm::find_if(op->getOpOperands(), [&](OpOperand &o) {
    return op.getMatchingIndexingMap(&o).isFunctionOfDim(0);
  });
  Value images = b.create<memref::DimOp>(loc, first->get(), 0);
  auto loop = b.create<scf::ParallelOp>(
      loc, ValueRange{b.create<arith::ConstantIndexOp>(loc, 0)},
      ValueRange{images}, ValueRange{b.create<arith::ConstantIndexOp>(loc, 1)});
  b.setInsertionPointToStart(loop.getBody());
  Value image = loop.getInductionVars()[0];
  SmallVector<Value> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    Value v = operand.get();
    if (op.getMatchingIndexingMap(&operand).isFunctionOfDim(0)) {
      auto type = cast<MemRefType>(v.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
          sizes = {b.getIndexAttr(1)},
          strides(type.getRank(), b.getIndexAttr(1));
      offsets[0] = image;
      for (int64_t d = 1; d < type.getRank(); ++d)
        sizes.push_back(
            type.isDynamicDim(d)
                ? OpFoldResult(b.createOrFold<memref::DimOp>(loc, v, d))
                : b.getIndexAttr(type.getDimSize(d)));
      v = b.create<memref::SubViewOp>(loc, v, offsets, sizes, strides);
    }
    operands.push_back(v);
  }
  b.clone(*op)->setOperands(operands);
  return loop;
}

struct FuseParallelLoopsPass
    : public sinter::impl::FuseParallelLoopsBase<FuseParallelLoopsPass> {
  /// Small ops over the batch taken out of their block while their loop
  /// by image (byImage) tries to merge, by loop: they go back in its place
  /// unless it merges with a loop of the batch that is not one of them.
  DenseMap<Operation *, SmallVector<Operation *>> taken;

  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation().walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks)
      fuseIn(*block);
  }

  /// Merges each scf.parallel of `block` into the one before it where it
  /// can (see Moves for the ops between them). Small ops over the batch
  /// outside loops (worksByImage) take part as loops by image; one that
  /// would merge only with others of its kind stays as it was.
  void fuseIn(Block &block) {
    Operation *parent = block.getParentOp();
    if (!isa<LoopLikeOpInterface>(parent) &&
        !parent->getParentOfType<LoopLikeOpInterface>()) {
      OpBuilder b(parent->getContext());
      for (Operation &op : llvm::make_early_inc_range(block)) {
        auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
        if (!linalgOp || !worksByImage(linalgOp))
          continue;
        scf::ParallelOp loop = byImage(linalgOp, b);
        op.remove();
        taken[loop].push_back(&op);
      }
    }
    scf::ParallelOp current;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      auto loop = dyn_cast<scf::ParallelOp>(&op);
      if (!loop)
        continue;
      if (current && tryMerge(current, loop))
        continue;
      // Not into a loop of the batch before it: an op between loops again,
      // which the loops around it may move past to merge.
      if (current && !taken.contains(current) && taken.contains(loop)) {
        putBack(loop);
        continue;
      }
      current = loop;
    }
    for (Operation &op : llvm::make_early_inc_range(block))
      if (taken.contains(&op))
        putBack(cast<scf::ParallelOp>(&op));
  }

  /// Merges `loop` into `current` when they run over the same images and
  /// the ops between them can move out of the way.
  bool tryMerge(scf::ParallelOp current, scf::ParallelOp loop) {
    if (!sameRange(current, loop))
      return false;
    auto first = usesOf(current), second = usesOf(loop);
    std::optional<Moves> moves;
    if (first && second && compatible(*first, *second))
      moves = Moves::plan(current, loop, *first, *second);
    if (!moves)
      return false;
    moves->apply(current, loop);
    bool firstTaken = taken.contains(current),
         secondTaken = taken.contains(loop);
    if (firstTaken && secondTaken) {
      taken[current].append(taken[loop]);
    } else if (firstTaken || secondTaken) {
      for (Operation *op : taken[firstTaken ? current : loop])
        op->destroy();
      taken.erase(current);
    }
    taken.erase(loop);
    merge(current, loop);
    return true;
  }

  /// The ops `loop` holds by image back in its place, and `loop` gone with
  /// the bounds byImage made for it.
  void putBack(scf::ParallelOp loop) {
    for (Operation *op : taken[loop])
      loop->getBlock()->getOperations().insert(loop->getIterator(), op);
    taken.erase(loop);
    eraseWithBounds(loop);
  }

  /// Where the ops between two loops go so that the loops become adjacent:
  /// before the first loop, or after the second. Pure ops and allocations
  /// go before (their operands are defined before the first loop, or are
  /// such ops between: the first loop has no results); deallocations
  /// after; other ops (a small serial op: a bias gradient's final sum, a
  /// flipped filter) before when they share no buffer with the first loop
  /// that either writes, else after when they share none with the second,
  /// and none with the ops between that go the other way, whose order
  /// with them changes.
  struct Moves {
    SmallVector<Operation *> before, after;

    static std::optional<Moves> plan(scf::ParallelOp first,
                                     scf::ParallelOp second,
                                     const DenseMap<Value, Use> &firstUses,
                                     const DenseMap<Value, Use> &secondUses) {
      Moves moves;
      SmallVector<DenseMap<Value, Use>> sunk;
      for (Operation *op = first->getNextNode(); op != second;
           op = op->getNextNode()) {
        if (isPure(op) || isa<memref::AllocOp>(op)) {
          moves.before.push_back(op);
          continue;
        }
        if (isa<memref::DeallocOp>(op)) {
          moves.after.push_back(op);
          continue;
        }
        std::optional<DenseMap<Value, Use>> uses = usesOf(op, Value());
        if (!uses || op->getNumResults() != 0)
          return std::nullopt;
        bool passesSunk = llvm::all_of(
            sunk, [&](auto &other) { return compatible(*uses, other); });
        if (passesSunk && compatible(*uses, firstUses)) {
          moves.before.push_back(op);
        } else if (compatible(*uses, secondUses)) {
          moves.after.push_back(op);
          sunk.push_back(std::move(*uses));
        } else {
          return std::nullopt;
        }
      }
      return moves;
    }

    void apply(scf::ParallelOp first, scf::ParallelOp second) {
      for (Operation *op : before)
        op->moveBefore(first);
      Operation *last = second;
      for (Operation *op : after) {
        op->moveAfter(last);
        last = op;
      }
    }
  };

  /// `second`'s body appended to `first`'s, now adjacent.
  static void merge(scf::ParallelOp first, scf::ParallelOp second) {
    Block *into = first.getBody();
    Block *from = second.getBody();
    from->getArgument(0).replaceAllUsesWith(into->getArgument(0));
    into->getOperations().splice(into->getTerminator()->getIterator(),
                                 from->getOperations(), from->begin(),
                                 from->getTerminator()->getIterator());
    eraseWithBounds(second);
  }

  /// Erases `loop`, and the ops that computed its bounds when nothing else
  /// uses them (byImage's).
  static void eraseWithBounds(scf::ParallelOp loop) {
    SmallVector<Value> unused = {loop.getLowerBound()[0],
                                 loop.getUpperBound()[0], loop.getStep()[0]};
    loop.erase();
    while (!unused.empty()) {
      Operation *def = unused.pop_back_val().getDefiningOp();
      if (!def || !def->use_empty() || !isPure(def))
        continue;
      llvm::append_range(unused, def->getOperands());
      def->erase();
    }
  }
};

} // namespace
