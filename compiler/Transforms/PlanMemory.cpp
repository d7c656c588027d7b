//===- PlanMemory.cpp - one planned workspace for each function's buffers -===//
//
// Expects: bufferized functions after MLIR's buffer deallocation pipeline.
// A step's intermediates are `memref.alloc` ops in a function's entry block,
// freed by `memref.dealloc` at its end (ownership-based deallocation frees
// at block ends, so without a plan a function holds all its buffers at
// once). Produces: every such buffer a `memref.view` into one workspace
// (`memref<?xi8>`) at a planned offset, a buffer taking the slot of one of
// its size whose life ended before its own began; a step then neither
// allocates nor frees them, and its buffers stay warm in the caches from
// one op to the next.
//
// A buffer lives from its alloc to the last op of the entry block that uses
// it or a view of it. Sizes are linear in one runtime value, the function's
// leaf: a dimension of an argument, possibly divided by a constant (the
// entry points' batch is x.size / row size). The plan is made in that form,
// bytes = perLeaf * leaf + fixed, greedily (largest first, each at the
// lowest offset that clears every placed buffer or is the slot of a dead
// one of its size, for every leaf value), with every size and offset a
// multiple of 64 bytes. Only whole slots are shared: a buffer in part of a
// larger one's bytes straddles its rows, each thread writing lines the
// other thread wrote in the op before, and a line from the other core's
// cache costs more than one from memory on the development host.
//
// Where the workspace comes from:
//   * the trainer ABI's entry points take it as a new last argument; the
//     global `sinter_workspace` holds {bytes per batch row, fixed bytes},
//     the most any entry point needs, which the runtime allocates once;
//   * private functions take it as a new last argument, and each call is a
//     buffer of the callee's size in the caller's plan, live at the call;
//   * other public functions allocate it on entry and free it on return.
// Buffers the plan cannot place stay on the heap: those a function returns,
// those allocated inside loops or whose size is not linear in the leaf. The
// module attribute `sinter.memory_plan` records each function's plan, what
// it left on the heap and its largest stack buffer, for `sinterc --report`.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <optional>

namespace sinter {
#define GEN_PASS_DEF_PLANMEMORY
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

constexpr int64_t kAlignBytes = 64;

/// What dynamic sizes are multiples of: dimension `dim` of function
/// argument `arg`, divided by `divisor`.
struct Leaf {
  unsigned arg = 0;
  int64_t dim = 0;
  int64_t divisor = 1;
  bool operator==(const Leaf &o) const {
    return arg == o.arg && dim == o.dim && divisor == o.divisor;
  }
};

/// perLeaf * leaf + fixed.
struct Linear {
  int64_t perLeaf = 0, fixed = 0;
  Linear operator+(Linear o) const {
    return {perLeaf + o.perLeaf, fixed + o.fixed};
  }
  Linear operator*(int64_t k) const { return {perLeaf * k, fixed * k}; }
  /// Below `o` for every leaf value >= 0.
  bool leq(Linear o) const { return perLeaf <= o.perLeaf && fixed <= o.fixed; }
};

int64_t roundUp(int64_t n) {
  return (n + kAlignBytes - 1) / kAlignBytes * kAlignBytes;
}
Linear roundUp(Linear n) { return {roundUp(n.perLeaf), roundUp(n.fixed)}; }

/// Expresses index values of one function as Linear in one leaf (the first
/// one met; sizes in terms of another leaf are not linear here).
class SizeTracer {
public:
  explicit SizeTracer(func::FuncOp fn) : fn(fn) {}

  std::optional<Leaf> leaf;

  std::optional<Linear> index(Value v) {
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return Linear{0, *c};
    Operation *def = v.getDefiningOp();
    if (!def)
      return std::nullopt;
    if (auto dim = dyn_cast<memref::DimOp>(def)) {
      std::optional<int64_t> d = dim.getConstantIndex();
      return d ? this->dim(dim.getSource(), *d) : std::nullopt;
    }
    if (auto mul = dyn_cast<arith::MulIOp>(def)) {
      std::optional<Linear> l = index(mul.getLhs()), r = index(mul.getRhs());
      return l && r ? product(*l, *r) : std::nullopt;
    }
    if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
      SmallVector<std::optional<Linear>> operands;
      for (Value operand : apply.getMapOperands())
        operands.push_back(index(operand));
      return affine(apply.getAffineMap().getResult(0),
                    apply.getAffineMap().getNumDims(), operands);
    }
    if (auto add = dyn_cast<arith::AddIOp>(def)) {
      std::optional<Linear> l = index(add.getLhs()), r = index(add.getRhs());
      return l && r ? std::optional<Linear>(*l + *r) : std::nullopt;
    }
    // x.size / row size: the batch, a leaf of its own.
    if (isa<arith::DivUIOp, arith::DivSIOp>(def)) {
      std::optional<int64_t> divisor = getConstantIntValue(def->getOperand(1));
      auto dim = def->getOperand(0).getDefiningOp<memref::DimOp>();
      std::optional<unsigned> arg =
          dim ? argNumber(dim.getSource()) : std::nullopt;
      std::optional<int64_t> d = dim ? dim.getConstantIndex() : std::nullopt;
      if (divisor && *divisor > 0 && arg && d)
        return leafValue({*arg, *d, *divisor});
    }
    return std::nullopt;
  }

  /// Dimension `d` of `memref`.
  std::optional<Linear> dim(Value memref, int64_t d) {
    auto type = cast<MemRefType>(memref.getType());
    if (!type.isDynamicDim(d))
      return Linear{0, type.getDimSize(d)};
    if (std::optional<unsigned> arg = argNumber(memref))
      return leafValue({*arg, d, 1});
    Operation *def = memref.getDefiningOp();
    if (auto alloc = dyn_cast_or_null<memref::AllocOp>(def))
      return index(alloc.getDynamicSizes()[type.getDynamicDimIndex(d)]);
    if (auto view = dyn_cast_or_null<memref::ViewOp>(def))
      return index(view.getSizes()[type.getDynamicDimIndex(d)]);
    if (auto cast = dyn_cast_or_null<memref::CastOp>(def))
      return dim(cast.getSource(), d);
    if (auto expand = dyn_cast_or_null<memref::ExpandShapeOp>(def))
      return index(expand.getOutputShape()[type.getDynamicDimIndex(d)]);
    if (auto sub = dyn_cast_or_null<memref::SubViewOp>(def)) {
      if (sub.getSourceType().getRank() != type.getRank())
        return std::nullopt;
      return foldResult(sub.getMixedSizes()[d]);
    }
    if (auto collapse = dyn_cast_or_null<memref::CollapseShapeOp>(def)) {
      Linear size{0, 1};
      // A copy: a range-for over an element of the temporary would read
      // freed memory.
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t j : groups[d]) {
        std::optional<Linear> part = dim(collapse.getSrc(), j);
        std::optional<Linear> next = part ? product(size, *part) : std::nullopt;
        if (!next)
          return std::nullopt;
        size = *next;
      }
      return size;
    }
    return std::nullopt;
  }

  /// The bytes of a buffer of `type` allocated with `dynamicSizes`.
  std::optional<Linear> bytes(MemRefType type, ValueRange dynamicSizes) {
    Type element = type.getElementType();
    int64_t elementBytes =
        element.isIndex() ? 8
        : element.isIntOrFloat()
            ? (int64_t(element.getIntOrFloatBitWidth()) + 7) / 8
            : 0;
    if (!elementBytes)
      return std::nullopt;
    Linear size{0, elementBytes};
    unsigned next = 0;
    for (int64_t extent : type.getShape()) {
      std::optional<Linear> dimSize = ShapedType::isDynamic(extent)
                                          ? index(dynamicSizes[next++])
                                          : Linear{0, extent};
      std::optional<Linear> grown =
          dimSize ? product(size, *dimSize) : std::nullopt;
      if (!grown)
        return std::nullopt;
      size = *grown;
    }
    return size;
  }

private:
  func::FuncOp fn;

  std::optional<unsigned> argNumber(Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &fn.getBody().front())
      return std::nullopt;
    return arg.getArgNumber();
  }
  std::optional<Linear> leafValue(Leaf l) {
    if (!leaf)
      leaf = l;
    if (!(*leaf == l))
      return std::nullopt;
    return Linear{1, 0};
  }
  /// `e` over dimensions then symbols of values `operands`: sums and
  /// constant multiples only.
  std::optional<Linear> affine(AffineExpr e, unsigned numDims,
                               ArrayRef<std::optional<Linear>> operands) {
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return Linear{0, c.getValue()};
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return operands[d.getPosition()];
    if (auto s = dyn_cast<AffineSymbolExpr>(e))
      return operands[numDims + s.getPosition()];
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin || (e.getKind() != AffineExprKind::Add &&
                 e.getKind() != AffineExprKind::Mul))
      return std::nullopt;
    std::optional<Linear> l = affine(bin.getLHS(), numDims, operands);
    std::optional<Linear> r = affine(bin.getRHS(), numDims, operands);
    if (!l || !r)
      return std::nullopt;
    return e.getKind() == AffineExprKind::Add ? std::optional<Linear>(*l + *r)
                                              : product(*l, *r);
  }
  std::optional<Linear> foldResult(OpFoldResult r) {
    if (std::optional<int64_t> c = getConstantIntValue(r))
      return Linear{0, *c};
    return index(cast<Value>(r));
  }
  /// Linear only while one factor is a constant.
  static std::optional<Linear> product(Linear a, Linear b) {
    if (a.perLeaf == 0)
      return b * a.fixed;
    if (b.perLeaf == 0)
      return a * b.fixed;
    return std::nullopt;
  }
};

/// One buffer of a function's plan: an alloc, or a call's workspace.
struct Buffer {
  Operation *op;
  Linear bytes;
  int64_t first = 0, last = 0; // live range, in entry-block op positions
  Linear offset;
  SmallVector<Operation *> deallocs;
  bool overlaps(const Buffer &o) const {
    return first <= o.last && o.first <= last;
  }
};

/// Whether `b` at `at` clears `p`'s bytes, for every leaf value.
bool clears(Linear at, const Buffer &b, const Buffer &p) {
  return (at + b.bytes).leq(p.offset) || (p.offset + p.bytes).leq(at);
}

/// Whether `b` at `at` may use memory that `p` used: `p` is dead by then
/// and `b` takes exactly its slot. Whichever thread wrote a byte of a
/// buffer in one step then writes it in the next (a row split in the
/// same halves), while a buffer straddling others' rows would write
/// lines that the other core holds: lenet's step took 6 % longer with
/// that sharing on this host.
bool takesSlot(Linear at, const Buffer &b, const Buffer &p) {
  return !p.overlaps(b) && at.perLeaf == p.offset.perLeaf &&
         at.fixed == p.offset.fixed && b.bytes.perLeaf == p.bytes.perLeaf &&
         b.bytes.fixed == p.bytes.fixed;
}

/// Places every buffer: the largest first, each at the lowest candidate
/// offset (zero, the end of a placed buffer, or the slot of one dead by
/// then) where it clears every placed buffer or takes its slot. Returns
/// the extent.
Linear placeBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  std::stable_sort(order.begin(), order.end(), [](Buffer *a, Buffer *b) {
    return std::make_pair(a->bytes.perLeaf, a->bytes.fixed) >
           std::make_pair(b->bytes.perLeaf, b->bytes.fixed);
  });
  SmallVector<Buffer *> placed;
  Linear extent;
  for (Buffer *b : order) {
    SmallVector<Linear> candidates{Linear{}};
    for (Buffer *p : placed) {
      candidates.push_back(p->offset + p->bytes);
      candidates.push_back(p->offset);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](Linear x, Linear y) {
                       return std::make_pair(x.perLeaf, x.fixed) <
                              std::make_pair(y.perLeaf, y.fixed);
                     });
    // No candidate may clear buffers whose sizes are incomparable (one
    // larger per row, the other larger fixed); above everything always does.
    auto fits = llvm::find_if(candidates, [&](Linear at) {
      return llvm::all_of(placed, [&](Buffer *p) {
        return clears(at, *b, *p) || takesSlot(at, *b, *p);
      });
    });
    b->offset = fits != candidates.end() ? *fits : extent;
    Linear end = b->offset + b->bytes;
    extent = {std::max(extent.perLeaf, end.perLeaf),
              std::max(extent.fixed, end.fixed)};
    placed.push_back(b);
  }
  return extent;
}

bool isABIEntryPoint(func::FuncOp fn) {
  return fn.isPublic() && llvm::is_contained({kTrainStepFn, kGradientsFn,
                                              kEvaluateFn, kPredictFn},
                                             fn.getSymName());
}

/// What planning a function decided, for its callers and the report.
struct FunctionPlan {
  Linear workspace;
  std::optional<Leaf> leaf;
  bool takesWorkspace = false; // a trailing memref<?xi8> argument
  int64_t planned = 0, heap = 0;
  Linear unshared;        // the planned buffers' sizes summed: no reuse
  int64_t staticArgs = 0; // bytes of statically shaped memref arguments
  // The largest static stack buffer (a thread's packed panel,
  // sinter-tile-contractions): outside the plan, reported beside it.
  int64_t stack = 0;
};

class Planner {
public:
  Planner(func::FuncOp fn,
          const llvm::DenseMap<Operation *, FunctionPlan> &plans)
      : fn(fn), entry(fn.getBody().front()), tracer(fn), plans(plans) {}

  FunctionPlan run() {
    int64_t position = 0;
    for (Operation &op : entry)
      positions[&op] = position++;
    collect();
    FunctionPlan plan;
    for (Type t : fn.getArgumentTypes())
      if (auto m = dyn_cast<MemRefType>(t); m && m.hasStaticShape())
        if (std::optional<Linear> n = tracer.bytes(m, {}))
          plan.staticArgs += n->fixed;
    fn.walk([&](memref::AllocaOp alloca) {
      if (alloca.getType().hasStaticShape())
        if (std::optional<Linear> n = tracer.bytes(alloca.getType(), {}))
          plan.stack = std::max(plan.stack, n->fixed);
    });
    plan.leaf = tracer.leaf;
    plan.heap = heap;
    // The runtime passes every entry point a workspace, needed or not.
    plan.takesWorkspace =
        isABIEntryPoint(fn) || (!fn.isPublic() && !buffers.empty());
    if (!buffers.empty()) {
      plan.workspace = placeBuffers(buffers);
      plan.planned = buffers.size();
      for (const Buffer &b : buffers)
        plan.unshared = plan.unshared + b.bytes;
    }
    rewrite(plan);
    return plan;
  }

private:
  func::FuncOp fn;
  Block &entry;
  SizeTracer tracer;
  const llvm::DenseMap<Operation *, FunctionPlan> &plans;
  llvm::DenseMap<Operation *, int64_t> positions;
  SmallVector<Buffer> buffers;
  int64_t heap = 0;
  /// Calls whose workspace is allocated at the call (its size not linear
  /// in this function's leaf).
  SmallVector<std::pair<func::CallOp, const FunctionPlan *>> heapCalls;

  /// The callee's plan, if it takes a workspace.
  const FunctionPlan *calleePlan(func::CallOp call) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    auto it = callee ? plans.find(callee) : plans.end();
    return it != plans.end() && it->second.takesWorkspace ? &it->second
                                                          : nullptr;
  }

  /// The callee's workspace in this function's terms.
  std::optional<Linear> calleeBytes(func::CallOp call,
                                    const FunctionPlan &callee) {
    if (callee.workspace.perLeaf == 0)
      return callee.workspace;
    const Leaf &l = *callee.leaf;
    std::optional<Linear> n = tracer.dim(call.getOperand(l.arg), l.dim);
    if (!n || n->perLeaf % l.divisor || n->fixed % l.divisor)
      return std::nullopt;
    return Linear{n->perLeaf / l.divisor, n->fixed / l.divisor} *
               callee.workspace.perLeaf +
           Linear{0, callee.workspace.fixed};
  }

  /// The live range of `root` and its views, and its deallocs; false if
  /// it leaves the entry block's ops (returned, yielded, freed elsewhere).
  bool liveRange(Value root, Buffer &b) {
    SmallVector<Value> worklist{root};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
          if (v != root || dealloc->getBlock() != &entry)
            return false;
          b.deallocs.push_back(dealloc);
          continue;
        }
        if (user->hasTrait<OpTrait::IsTerminator>())
          return false;
        Operation *top = entry.findAncestorOpInBlock(*user);
        if (!top)
          return false;
        b.last = std::max(b.last, positions[top]);
        // Views, and anything else returning a memref from it, alias it.
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            worklist.push_back(r);
      }
    }
    return !b.deallocs.empty();
  }

  void collect() {
    fn.walk([&](memref::AllocOp alloc) {
      Buffer b{alloc};
      b.first = b.last = positions.lookup(alloc);
      std::optional<Linear> bytes;
      if (alloc->getBlock() == &entry &&
          alloc.getType().getLayout().isIdentity() &&
          alloc.getAlignment().value_or(kAlignBytes) <= kAlignBytes)
        bytes = tracer.bytes(alloc.getType(), alloc.getDynamicSizes());
      if (bytes && liveRange(alloc, b)) {
        b.bytes = roundUp(*bytes);
        buffers.push_back(b);
      } else {
        ++heap;
      }
    });
    for (auto call : entry.getOps<func::CallOp>()) {
      const FunctionPlan *callee = calleePlan(call);
      if (!callee)
        continue;
      if (std::optional<Linear> bytes = calleeBytes(call, *callee)) {
        Buffer b{call};
        b.first = b.last = positions.lookup(call);
        b.bytes = roundUp(*bytes);
        buffers.push_back(b);
      } else {
        heapCalls.push_back({call, callee});
        ++heap;
      }
    }
    // The runtime sizes the entry points' workspace by the batch: their
    // leaf must be x's rows (x.size / row size).
    auto isDynamic = [](const Buffer &b) { return b.bytes.perLeaf != 0; };
    if (isABIEntryPoint(fn) && tracer.leaf && tracer.leaf->arg != 0) {
      heap += llvm::count_if(buffers, isDynamic);
      llvm::erase_if(buffers, isDynamic);
    }
    if (llvm::none_of(buffers, isDynamic))
      tracer.leaf.reset();
  }

  Value constant(OpBuilder &b, int64_t n) {
    return b.create<arith::ConstantIndexOp>(fn.getLoc(), n);
  }

  /// Leaf value computed at `b`'s insertion point.
  Value leafValue(OpBuilder &b, Value operand, const Leaf &l) {
    Location loc = fn.getLoc();
    Value v = b.create<memref::DimOp>(loc, operand, l.dim);
    if (l.divisor != 1)
      v = b.create<arith::DivUIOp>(loc, v, constant(b, l.divisor));
    return v;
  }

  Value linear(OpBuilder &b, Value leaf, Linear n) {
    Value fixed = constant(b, n.fixed);
    if (n.perLeaf == 0)
      return fixed;
    Location loc = fn.getLoc();
    Value scaled = b.create<arith::MulIOp>(loc, leaf, constant(b, n.perLeaf));
    return b.create<arith::AddIOp>(loc, scaled, fixed);
  }

  void rewrite(const FunctionPlan &plan) {
    Location loc = fn.getLoc();
    auto bytesType = MemRefType::get({ShapedType::kDynamic},
                                     IntegerType::get(fn.getContext(), 8));
    OpBuilder b(&entry, entry.begin());
    Value leaf;
    if (tracer.leaf)
      leaf = leafValue(b, entry.getArgument(tracer.leaf->arg), *tracer.leaf);
    Value workspace;
    if (plan.takesWorkspace) {
      fn.insertArgument(fn.getNumArguments(), bytesType, {}, loc);
      workspace = entry.getArguments().back();
    } else if (!buffers.empty()) {
      Value size = linear(b, leaf, plan.workspace);
      workspace = b.create<memref::AllocOp>(loc, bytesType, size,
                                            b.getI64IntegerAttr(kAlignBytes));
      fn.walk([&](func::ReturnOp ret) {
        OpBuilder(ret).create<memref::DeallocOp>(loc, workspace);
      });
    }
    for (Buffer &buffer : buffers) {
      b.setInsertionPoint(buffer.op);
      Value offset = linear(b, leaf, buffer.offset);
      if (auto alloc = dyn_cast<memref::AllocOp>(buffer.op)) {
        Value view = b.create<memref::ViewOp>(loc, alloc.getType(), workspace,
                                              offset, alloc.getDynamicSizes());
        alloc.replaceAllUsesWith(view);
        for (Operation *dealloc : buffer.deallocs)
          dealloc->erase();
        alloc.erase();
        continue;
      }
      Value size = linear(b, leaf, buffer.bytes);
      Value view = b.create<memref::ViewOp>(loc, bytesType, workspace, offset,
                                            ValueRange{size});
      buffer.op->insertOperands(buffer.op->getNumOperands(), view);
    }
    for (auto [call, callee] : heapCalls) {
      b.setInsertionPoint(call);
      Value size = callee->workspace.perLeaf == 0
                       ? constant(b, callee->workspace.fixed)
                       : linear(b,
                                leafValue(b, call.getOperand(callee->leaf->arg),
                                          *callee->leaf),
                                callee->workspace);
      Value scratch = b.create<memref::AllocOp>(
          loc, bytesType, size, b.getI64IntegerAttr(kAlignBytes));
      call->insertOperands(call->getNumOperands(), scratch);
      b.setInsertionPointAfter(call);
      b.create<memref::DeallocOp>(loc, scratch);
    }
  }
};

struct PlanMemoryPass : public sinter::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::DenseMap<Operation *, FunctionPlan> plans;
    // Callees first: a call's workspace is the callee's plan.
    SmallVector<func::FuncOp> order;
    llvm::DenseSet<Operation *> visited;
    std::function<void(func::FuncOp)> visit = [&](func::FuncOp fn) {
      if (!visited.insert(fn).second)
        return;
      fn.walk([&](func::CallOp call) {
        if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
          visit(callee);
      });
      order.push_back(fn);
    };
    for (auto fn : module.getOps<func::FuncOp>())
      visit(fn);

    Builder b(module.getContext());
    SmallVector<NamedAttribute> report;
    Linear entryWorkspace;
    for (func::FuncOp fn : order) {
      if (fn.isExternal())
        continue;
      FunctionPlan plan = Planner(fn, plans).run();
      plans[fn] = plan;
      if (plan.planned == 0 && plan.heap == 0)
        continue;
      if (isABIEntryPoint(fn))
        entryWorkspace = {
            std::max(entryWorkspace.perLeaf, plan.workspace.perLeaf),
            std::max(entryWorkspace.fixed, plan.workspace.fixed)};
      report.push_back(b.getNamedAttr(
          fn.getSymName(),
          b.getDictionaryAttr({
              b.getNamedAttr("workspace",
                             b.getDenseI64ArrayAttr({plan.workspace.perLeaf,
                                                     plan.workspace.fixed})),
              b.getNamedAttr("unshared",
                             b.getDenseI64ArrayAttr(
                                 {plan.unshared.perLeaf, plan.unshared.fixed})),
              b.getNamedAttr("planned", b.getI64IntegerAttr(plan.planned)),
              b.getNamedAttr("heap", b.getI64IntegerAttr(plan.heap)),
              b.getNamedAttr("arguments", b.getI64IntegerAttr(plan.staticArgs)),
              b.getNamedAttr("stack", b.getI64IntegerAttr(plan.stack)),
          })));
    }
    module->setAttr(kMemoryPlanAttr, b.getDictionaryAttr(report));
    if (!module.lookupSymbol(kWorkspaceGlobal) &&
        llvm::any_of(module.getOps<func::FuncOp>(), isABIEntryPoint)) {
      OpBuilder ob(module.getBodyRegion());
      auto i64 = ob.getI64Type();
      ob.create<LLVM::GlobalOp>(
          module.getLoc(), LLVM::LLVMArrayType::get(i64, 2),
          /*isConstant=*/true, LLVM::Linkage::External, kWorkspaceGlobal,
          ob.getI64TensorAttr({entryWorkspace.perLeaf, entryWorkspace.fixed}),
          /*alignment=*/8);
    }
  }
};

} // namespace
