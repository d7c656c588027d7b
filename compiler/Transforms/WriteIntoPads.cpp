//===- WriteIntoPads.cpp - results computed in the pad that holds them ----===//
//
// Expects: bufferized functions after sinter-fuse-epilogues, before
// sinter-parallelize-loops. Produces: where a buffer of the function is
// written by one linalg op and then copied whole into a window of another
// buffer of the function (the interior of a convolution's padded input:
// sinter::lowering::placed), that op writing into the window instead, and
// the buffer's other readers reading the window; the copy and the buffer
// go. Each "same" convolution after the first copied its input into its
// pad (the strided network of bench/run --convs: its first ReLU, 32 x 32
// x 32 floats an image, 1.4 % of a step). The writer may also be a
// product's nest whose epilogue (sinter-fuse-epilogues) writes the buffer
// tile by tile through views of it (a window product's bias and ReLU):
// the views are made again on the window. Tiles written through a
// collapse_shape are left: a pad's interior cannot take a product's tile
// rows where they run on past an image row. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"

namespace sinter {
#define GEN_PASS_DEF_WRITEINTOPADS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether two windows of one buffer, full along the first (batch)
/// dimension, are apart in some other dimension (static offsets and sizes).
bool apart(memref::SubViewOp a, memref::SubViewOp b) {
  for (int64_t d = 1, rank = a.getSourceType().getRank(); d < rank; ++d) {
    int64_t ao = a.getStaticOffsets()[d], as = a.getStaticSizes()[d];
    int64_t bo = b.getStaticOffsets()[d], bs = b.getStaticSizes()[d];
    if (ShapedType::isDynamic(ao) || ShapedType::isDynamic(as) ||
        ShapedType::isDynamic(bo) || ShapedType::isDynamic(bs))
      continue;
    if (ao + as <= bo || bo + bs <= ao)
      return true;
  }
  return false;
}

/// Whether `user` of a view of the pad (or the pad) only reads it: a
/// linalg input, a load, another view whose users only read, a
/// deallocation.
bool onlyReads(Operation *user, Value view) {
  if (auto linalgUser = dyn_cast<linalg::LinalgOp>(user))
    return llvm::all_of(linalgUser->getOpOperands(), [&](OpOperand &o) {
      return o.get() != view || linalgUser.isDpsInput(&o);
    });
  if (isa<memref::LoadOp, vector::LoadOp, vector::TransferReadOp,
          memref::DeallocOp, memref::DimOp>(user))
    return true;
  if (isa<ViewLikeOpInterface>(user))
    return llvm::all_of(user->getResult(0).getUsers(), [&](Operation *u) {
      return onlyReads(u, user->getResult(0));
    });
  return false;
}

/// Whether `view` (a view of the buffer: an expand_shape or a subview,
/// and subviews of it) can be made again on a window of the pad, and
/// every use of it and of its views is a vector transfer inside `nest`,
/// an op of `block` (a product's epilogue writing its tiles). A
/// collapse_shape cannot: a product's tile rows run on past an image row,
/// which a pad's interior does not hold in one piece.
bool onlyTransfersIn(Operation *view, Block *block, Operation *&nest) {
  if (!isa<memref::ExpandShapeOp, memref::SubViewOp>(view))
    return false;
  for (Operation *user : view->getResult(0).getUsers()) {
    if (isa<memref::SubViewOp>(user)) {
      if (!onlyTransfersIn(user, block, nest))
        return false;
      continue;
    }
    Operation *top = block->findAncestorOpInBlock(*user);
    if (!isa<vector::TransferWriteOp, vector::TransferReadOp>(user) || !top ||
        top == user || (nest && top != nest))
      return false;
    nest = top;
  }
  return true;
}

/// Makes `view` again on `source` (a window of the pad in place of the
/// buffer it was made on), its users using the new one; erases it.
void remake(Operation *view, Value source, RewriterBase &rewriter) {
  rewriter.setInsertionPoint(view);
  Value remade;
  auto sourceType = cast<MemRefType>(source.getType());
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(view)) {
    FailureOr<MemRefType> type = memref::ExpandShapeOp::computeExpandedType(
        sourceType, expand.getType().getShape(),
        expand.getReassociationIndices());
    remade = rewriter.create<memref::ExpandShapeOp>(
        expand.getLoc(), *type, source, expand.getReassociationIndices(),
        getMixedValues(expand.getStaticOutputShape(), expand.getOutputShape(),
                       rewriter));
  } else {
    auto subview = cast<memref::SubViewOp>(view);
    auto type = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
        subview.getType().getShape(), sourceType, subview.getMixedOffsets(),
        subview.getMixedSizes(), subview.getMixedStrides()));
    remade = rewriter.create<memref::SubViewOp>(
        subview.getLoc(), type, source, subview.getMixedOffsets(),
        subview.getMixedSizes(), subview.getMixedStrides());
  }
  for (Operation *user :
       llvm::make_early_inc_range(view->getResult(0).getUsers())) {
    if (isa<memref::ExpandShapeOp, memref::SubViewOp>(user))
      remake(user, remade, rewriter);
    else
      user->replaceUsesOfWith(view->getResult(0), remade);
  }
  rewriter.eraseOp(view);
}

/// Whether the views in `views` can all be made again on `window` (an
/// expand_shape of a strided window may not be; the subviews under them
/// always can).
bool remakeable(ArrayRef<Operation *> views, Value window) {
  return llvm::all_of(views, [&](Operation *view) {
    auto expand = dyn_cast<memref::ExpandShapeOp>(view);
    return !expand ||
           succeeded(memref::ExpandShapeOp::computeExpandedType(
               cast<MemRefType>(window.getType()), expand.getType().getShape(),
               expand.getReassociationIndices()));
  });
}

/// Rewrites `copy` (from a buffer into a pad's window) so that the
/// buffer's writer writes the window; false when it does not apply.
bool writeIntoPad(linalg::CopyOp copy, DominanceInfo &dominance,
                  RewriterBase &rewriter) {
  Value from = copy.getInputs()[0], to = copy.getOutputs()[0];
  auto alloc = from.getDefiningOp<memref::AllocOp>();
  auto window = to.getDefiningOp<memref::SubViewOp>();
  Block *block = copy->getBlock();
  if (!alloc || !window || alloc->getBlock() != block ||
      window->getBlock() != block ||
      window.getType().getShape() != alloc.getType().getShape())
    return false;
  auto pad = window.getSource().getDefiningOp<memref::AllocOp>();
  if (!pad || pad->getBlock() != block || !window->hasOneUse())
    return false;
  // One writer: a linalg op with the buffer as its only output, or a
  // product's nest whose epilogue writes its tiles through views of the
  // buffer (views that can be made on the window); then readers after
  // the copy that are linalg ops, and its deallocation.
  linalg::LinalgOp linalgWriter;
  Operation *nest = nullptr;
  SmallVector<Operation *> views;
  SmallVector<OpOperand *> reads;
  Operation *dealloc = nullptr;
  for (OpOperand &use : from.getUses()) {
    Operation *user = use.getOwner();
    auto linalgUser = dyn_cast<linalg::LinalgOp>(user);
    if (user == copy)
      continue;
    if (isa<memref::DeallocOp>(user)) {
      dealloc = user;
    } else if (linalgUser && linalgUser.isDpsInit(&use) && !linalgWriter &&
               linalgUser.getNumDpsInits() == 1 && user->getBlock() == block &&
               user->isBeforeInBlock(copy) &&
               !linalgUser.payloadUsesValueFromOperand(&use)) {
      linalgWriter = linalgUser;
    } else if (linalgUser && linalgUser.isDpsInput(&use) &&
               dominance.properlyDominates(copy.getOperation(), user)) {
      reads.push_back(&use);
    } else if (user->getBlock() == block &&
               onlyTransfersIn(user, block, nest)) {
      views.push_back(user);
    } else {
      return false;
    }
  }
  Operation *writer = linalgWriter;
  if (!views.empty())
    writer = linalgWriter ? nullptr : nest;
  if (!writer || writer->getBlock() != block ||
      !writer->isBeforeInBlock(copy) || !remakeable(views, window))
    return false;
  // The writer reads nothing of the pad.
  WalkResult touchesPad = writer->walk([&](Operation *inner) {
    return llvm::any_of(inner->getOperands(),
                        [&](Value v) {
                          return isa<MemRefType>(v.getType()) &&
                                 sinter::bufferOf(v) == pad.getResult();
                        })
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (touchesPad.wasInterrupted())
    return false;
  // Between the writer and the copy the pad is only filled outside the
  // window (its border); after the copy it is only read (the
  // convolution's windows).
  for (Operation *user : pad->getUsers()) {
    Operation *at = block->findAncestorOpInBlock(*user);
    if (user == window || !at || at->isBeforeInBlock(writer) || at == writer)
      continue;
    if (copy->isBeforeInBlock(at)) {
      if (!onlyReads(user, pad.getResult()))
        return false;
      continue;
    }
    auto border = dyn_cast<memref::SubViewOp>(user);
    if (!border || !apart(border, window) ||
        !llvm::all_of(border->getUsers(),
                      [](Operation *u) { return isa<linalg::FillOp>(u); }))
      return false;
  }
  // The pad and its window made where the buffer was allocated (before
  // its writer and views).
  auto before = [&](Value v) {
    return dominance.properlyDominates(v, alloc) || v.getDefiningOp() == pad ||
           v.getDefiningOp() == window;
  };
  if (!llvm::all_of(pad->getOperands(), before) ||
      !llvm::all_of(window->getOperands(), before))
    return false;
  if (!dominance.properlyDominates(pad.getResult(), alloc))
    pad->moveBefore(alloc);
  window->moveBefore(alloc);
  if (linalgWriter)
    linalgWriter->setOperand(
        linalgWriter.getDpsInitOperand(0)->getOperandNumber(),
        window.getResult());
  for (Operation *view : views)
    remake(view, window.getResult(), rewriter);
  for (OpOperand *read : reads)
    read->set(window.getResult());
  rewriter.eraseOp(copy);
  if (dealloc)
    rewriter.eraseOp(dealloc);
  rewriter.eraseOp(alloc);
  return true;
}

struct WriteIntoPadsPass
    : public sinter::impl::WriteIntoPadsBase<WriteIntoPadsPass> {
  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp copy) {
      if (copy.hasPureBufferSemantics() &&
          !copy->getParentOfType<LoopLikeOpInterface>())
        copies.push_back(copy);
    });
    for (linalg::CopyOp copy : copies)
      writeIntoPad(copy, dominance, rewriter);
  }
};

} // namespace
