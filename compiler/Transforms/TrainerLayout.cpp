//===- TrainerLayout.cpp - the flat-buffer layout of parameters -----------===//
#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace sinter;

StringRef sinter::argAttrString(func::FuncOp fn, unsigned i, StringRef name) {
  if (auto s = fn.getArgAttrOfType<StringAttr>(i, name))
    return s.getValue();
  return "";
}

TrainerLayout sinter::computeLayout(func::FuncOp fn) {
  TrainerLayout layout;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    StringRef name = argAttrString(fn, i, attrs::kParam);
    if (name.empty())
      continue;
    auto type = cast<RankedTensorType>(fn.getArgument(i).getType());
    ParamLayout p;
    p.name = name.str();
    p.shape.assign(type.getShape().begin(), type.getShape().end());
    p.size = type.getNumElements();
    p.offset = layout.paramElems;
    p.arg = i;
    layout.paramElems += llvm::alignTo(p.size, kAlignElems);
    layout.params.push_back(std::move(p));
  }
  return layout;
}

Value sinter::flatWindow(OpBuilder &b, Location loc, Value buffer,
                         int64_t offset, ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  Value sub = b.create<memref::SubViewOp>(loc, buffer,
                                          ArrayRef<int64_t>{offset},
                                          ArrayRef<int64_t>{n},
                                          ArrayRef<int64_t>{1});
  if (shape.size() == 1)
    return sub;
  SmallVector<ReassociationIndices> all = {
      llvm::to_vector(llvm::seq<int64_t>(0, shape.size()))};
  return b.create<memref::ExpandShapeOp>(loc, shape, sub, all);
}
