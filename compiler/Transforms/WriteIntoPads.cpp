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
// x 32 floats an image, 1.4 % of a step). A buffer written by a
// contraction's tiles (an epilogue of sinter-fuse-epilogues) is left: a
// pad's interior cannot take a product's tile rows where they run on past
// an image row. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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

/// Rewrites `copy` (from a buffer into a pad's window) so that the
/// buffer's writer writes the window; false when it does not apply.
bool writeIntoPad(linalg::CopyOp copy, DominanceInfo &dominance) {
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
  // One writer (a linalg op with the buffer as its only output), then
  // readers after the copy that are linalg ops, and its deallocation.
  linalg::LinalgOp writer;
  SmallVector<OpOperand *> reads;
  Operation *dealloc = nullptr;
  for (OpOperand &use : from.getUses()) {
    Operation *user = use.getOwner();
    auto linalgUser = dyn_cast<linalg::LinalgOp>(user);
    if (user == copy)
      continue;
    if (isa<memref::DeallocOp>(user)) {
      dealloc = user;
    } else if (linalgUser && linalgUser.isDpsInit(&use) && !writer &&
               linalgUser.getNumDpsInits() == 1 && user->getBlock() == block &&
               user->isBeforeInBlock(copy) &&
               !linalgUser.payloadUsesValueFromOperand(&use)) {
      writer = linalgUser;
    } else if (linalgUser && linalgUser.isDpsInput(&use) &&
               dominance.properlyDominates(copy.getOperation(), user)) {
      reads.push_back(&use);
    } else {
      return false;
    }
  }
  // The writer reads nothing of the pad.
  if (!writer || llvm::any_of(writer->getOperands(), [&](Value v) {
        return sinter::bufferOf(v) == pad.getResult();
      }))
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
  // The pad and its window made before the writer.
  auto before = [&](Value v) {
    return dominance.properlyDominates(v, writer) || v.getDefiningOp() == pad ||
           v.getDefiningOp() == window;
  };
  if (!llvm::all_of(pad->getOperands(), before) ||
      !llvm::all_of(window->getOperands(), before))
    return false;
  if (!dominance.properlyDominates(pad.getResult(), writer))
    pad->moveBefore(writer);
  window->moveBefore(writer);
  writer->setOperand(writer.getDpsInitOperand(0)->getOperandNumber(),
                     window.getResult());
  for (OpOperand *read : reads)
    read->set(window.getResult());
  copy->erase();
  if (dealloc)
    dealloc->erase();
  alloc->erase();
  return true;
}

struct WriteIntoPadsPass
    : public sinter::impl::WriteIntoPadsBase<WriteIntoPadsPass> {
  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp copy) {
      if (copy.hasPureBufferSemantics() &&
          !copy->getParentOfType<LoopLikeOpInterface>())
        copies.push_back(copy);
    });
    for (linalg::CopyOp copy : copies)
      writeIntoPad(copy, dominance);
  }
};

} // namespace
