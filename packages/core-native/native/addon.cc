/*
 * @llmkit/core-native: fp32 GEMM with AVX-512 / AVX2+FMA register-blocked micro-kernels and a
 * persistent thread pool, operating in place on a JavaScript ArrayBuffer (tfjs-wasm's heap).
 *
 * JS API (see src/index.ts for the typed wrapper):
 *   isa(): 'avx512f' | 'avx2' | ''          instruction set in use ('' = none usable: use wasm)
 *   setIsa(name): boolean                    force 'avx2' (tests) or back to 'avx512f'
 *   setThreads(n) / threads()                worker count, calling thread included
 *   setParallelThreshold(flops) / parallelThreshold()
 *   sgemm(heap, m, n, k, aByte, rsa, csa, bByte, rsb, csb, cByte, ldc)
 *   sgemmBatch(heap, m, n, k, rsa, csa, rsb, csb, ldc, aBytes, bBytes, cBytes)
 * `heap` is an ArrayBuffer or a TypedArray view (byte offsets are relative to the view's start);
 * strides are in elements; every operand's extent is checked against the buffer (RangeError).
 *
 * The JavaScript thread blocks for the whole call and takes part in the work, so the buffer is
 * neither detached nor resized while the pool threads touch it.
 */
#include <node_api.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "isa.h"

namespace {

const IsaKernels *g_isa = nullptr;  // selected instruction set, or null
int g_threads = 1;                   // workers including the calling thread
double g_parallel_flops = 2e6;       // products below this many flops stay on the calling thread

const IsaKernels *detect_isa() {
#if LLMKIT_X86_GCC
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && llmkit_avx512::kernels.gemm)
    return &llmkit_avx512::kernels;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && llmkit_avx2::kernels.gemm)
    return &llmkit_avx2::kernels;
#endif
  return nullptr;
}

/* ---------------------------------------------------------------- per-thread scratch */

struct Scratch {
  float *data = nullptr;
  long floats = 0;
  ~Scratch() { std::free(data); }
  float *get(long need) {
    if (floats < need) {
      std::free(data);
      // 64-byte aligned; size rounded up to a multiple of the alignment as aligned_alloc requires.
      size_t bytes = ((size_t)need * sizeof(float) + 63) & ~(size_t)63;
      data = static_cast<float *>(std::aligned_alloc(64, bytes));
      floats = data ? need : 0;
    }
    return data;
  }
};
thread_local Scratch t_scratch;

/* ---------------------------------------------------------------- thread pool */

class Pool {
 public:
  // Runs fn(0..n-1): fn(0) on the calling thread, the rest on pool threads; returns when all end.
  void run(int n, const std::function<void(int)> &fn) {
    ensure(n - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      active_ = n - 1;
      pending_.store(n - 1, std::memory_order_relaxed);
      generation_++;
    }
    cv_.notify_all();
    fn(0);
    // Spin up to ~20 us (the other parts are about as long as ours), then sleep.
    if (pending_.load(std::memory_order_acquire) != 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
      for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; spin++) {
#if LLMKIT_X86_GCC
        __builtin_ia32_pause();
#endif
        if ((spin & 31) == 31 && std::chrono::steady_clock::now() > until) break;
      }
    }
    if (pending_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard<std::mutex> lock(mu_);
    job_ = nullptr;
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto &t : workers_) t.join();
    workers_.clear();
    stopping_ = false;
  }

  int size() const { return (int)workers_.size(); }

 private:
  void ensure(int count) {
    while ((int)workers_.size() < count) {
      const int index = (int)workers_.size() + 1;
      // The generation the new thread has "seen" is read here, on the only thread that changes it,
      // so a job posted right after this cannot be missed by a thread that starts late.
      const unsigned long seen = generation_;
      workers_.emplace_back([this, index, seen] { loop(index, seen); });
    }
  }

  void loop(int index, unsigned long seen) {
    for (;;) {
      const std::function<void(int)> *job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (index <= active_) job = job_;
      }
      if (!job) continue;
      (*job)(index);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_cv_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)> *job_ = nullptr;
  int active_ = 0;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  std::atomic<int> pending_{0};
};

// Leaked on purpose: stopped by the environment cleanup hook, never destroyed at static exit.
Pool *g_pool = nullptr;
std::mutex g_pool_mu;  // one caller at a time uses the pool (worker_threads may share the addon)
bool g_cleanup_registered = false;

void cleanup_pool(void *) {
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (g_pool) g_pool->stop();
}

/* ---------------------------------------------------------------- the products */

struct Gemm {
  long m, n, k, rsa, csa, rsb, csb, ldc;
};

std::atomic<bool> g_out_of_memory{false};  // a thread could not allocate its packing buffers

void run_one(const Gemm &g, const float *a, const float *b, float *c) {
  float *scratch = t_scratch.get(g_isa->scratch_floats);
  if (!scratch) {
    g_out_of_memory.store(true);
    return;
  }
  g_isa->gemm(g.m, g.n, g.k, a, g.rsa, g.csa, b, g.rsb, g.csb, c, g.ldc, scratch);
}

/* Part `part` of `parts` of one product: a column range (multiples of NR) or a row range (of MR). */
void run_part(const Gemm &g, const float *a, const float *b, float *c, int part, int parts, bool by_columns) {
  const long unit = by_columns ? g_isa->nr : g_isa->mr;
  const long total = by_columns ? g.n : g.m;
  const long units = (total + unit - 1) / unit;
  const long lo = units * part / parts * unit;
  long hi = units * (part + 1) / parts * unit;
  if (hi > total) hi = total;
  if (lo >= hi) return;
  Gemm s = g;
  if (by_columns) {
    s.n = hi - lo;
    run_one(s, a, b + lo * g.csb, c + lo);
  } else {
    s.m = hi - lo;
    run_one(s, a + lo * g.rsa, b, c + lo * g.ldc);
  }
}

/* Batch entries [0, count): operand pointers. */
struct Batch {
  const float *const *a;
  const float *const *b;
  float *const *c;
  long count;
};

void run_products(napi_env env, const Gemm &g, const Batch &batch) {
  const double flops = 2.0 * g.m * g.n * g.k * batch.count;
  int threads = g_threads;
  if (threads > 1 && (flops < g_parallel_flops || g.m <= 4)) threads = 1;
  std::unique_lock<std::mutex> pool_lock(g_pool_mu, std::defer_lock);
  if (threads > 1 && !pool_lock.try_lock()) threads = 1;  // another JS thread holds the pool
  if (threads == 1) {
    for (long i = 0; i < batch.count; i++) run_one(g, batch.a[i], batch.b[i], batch.c[i]);
    return;
  }
  if (!g_pool) g_pool = new Pool();
  if (!g_cleanup_registered) {
    napi_add_env_cleanup_hook(env, cleanup_pool, nullptr);
    g_cleanup_registered = true;
  }
  if (batch.count >= threads) {
    // Whole products per thread: contiguous ranges of the batch.
    g_pool->run(threads, [&](int t) {
      const long lo = batch.count * t / threads, hi = batch.count * (t + 1) / threads;
      for (long i = lo; i < hi; i++) run_one(g, batch.a[i], batch.b[i], batch.c[i]);
    });
    return;
  }
  // Few large products: split each, so that the operand every thread packs in full is the
  // smaller one: columns (each thread packs all of A, m x k, and its share of B) when n >= m,
  // rows (each packs all of B, k x n) otherwise, unless there are too few row panels to share.
  const bool by_columns = g.n >= g.m || g.m < 2L * g_isa->mr * threads;
  for (long i = 0; i < batch.count; i++) {
    const float *a = batch.a[i];
    const float *b = batch.b[i];
    float *c = batch.c[i];
    g_pool->run(threads, [&](int t) { run_part(g, a, b, c, t, threads, by_columns); });
  }
}

/* ---------------------------------------------------------------- N-API plumbing */

#define CHECK(call)                                  \
  do {                                               \
    if ((call) != napi_ok) return throw_last(env);   \
  } while (0)

napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = nullptr;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_LLMKIT_NATIVE", info && info->error_message ? info->error_message : "N-API call failed");
  return nullptr;
}

napi_value throw_range(napi_env env, const std::string &message) {
  napi_throw_range_error(env, "ERR_LLMKIT_NATIVE_RANGE", message.c_str());
  return nullptr;
}

napi_value throw_oom(napi_env env) {
  napi_throw_error(env, "ERR_LLMKIT_NATIVE_MEMORY", "sgemm: could not allocate the packing buffers (out of memory); C was not computed");
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

bool get_double(napi_env env, napi_value v, double *out) { return napi_get_value_double(env, v, out) == napi_ok; }

/* Base pointer and byte length of an ArrayBuffer or a TypedArray / DataView (its window). */
bool heap_info(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  bool is = false;
  void *p = nullptr;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, v, &p, length) != napi_ok) return false;
    *data = static_cast<uint8_t *>(p);
    return true;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count = 0, offset = 0;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &count, &p, &ab, &offset) != napi_ok) return false;
    static const size_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
    *data = static_cast<uint8_t *>(p);
    *length = count * ((size_t)type < sizeof(sizes) / sizeof(sizes[0]) ? sizes[type] : 1);
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value ab;
    size_t offset = 0;
    if (napi_get_dataview_info(env, v, length, &p, &ab, &offset) != napi_ok) return false;
    *data = static_cast<uint8_t *>(p);
    return true;
  }
  return false;
}

/* Uint32Array contents (byte offsets of batch entries). */
bool u32_array(napi_env env, napi_value v, const uint32_t **data, size_t *count) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  void *p = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, count, &p, &ab, &offset) != napi_ok) return false;
  if (type != napi_uint32_array) return false;
  *data = static_cast<const uint32_t *>(p);
  return true;
}

bool is_int(double x, double lo, double hi) { return x == (double)(long long)x && x >= lo && x <= hi; }

/*
 * Checks that the operand whose element (i, j) is at byte `off` + 4 * (i * rs + j * cs) for
 * i < rows, j < cols lies inside [0, length). Strides are non-negative here.
 */
bool in_bounds(double off, long rows, long cols, long rs, long cs, size_t length) {
  if (rows <= 0 || cols <= 0) return off >= 0 && off <= (double)length;
  const double last = off + 4.0 * ((double)(rows - 1) * rs + (double)(cols - 1) * cs);
  return off >= 0 && (long long)off % 4 == 0 && last + 4.0 <= (double)length;
}

const char *const DIM_NAMES[] = {"m", "n", "k"};

/* Reads m, n, k from args[first..first+2]. */
napi_value read_dims(napi_env env, napi_value *args, int first, long dims[3]) {
  for (int i = 0; i < 3; i++) {
    double x;
    if (!get_double(env, args[first + i], &x) || !is_int(x, 0, 2147483647.0))
      return throw_range(env, std::string("sgemm: ") + DIM_NAMES[i] + " must be a non-negative integer");
    dims[i] = (long)x;
  }
  return nullptr;
}

napi_value read_strides(napi_env env, napi_value *args, const char *const *names, long *out, int count) {
  for (int i = 0; i < count; i++) {
    double x;
    if (!get_double(env, args[i], &x) || !is_int(x, 0, 2147483647.0))
      return throw_range(env, std::string("sgemm: stride ") + names[i] + " must be a non-negative integer");
    out[i] = (long)x;
  }
  return nullptr;
}

napi_value check_ready(napi_env env) {
  if (!g_isa) {
    napi_throw_error(env, "ERR_LLMKIT_NATIVE_ISA", "@llmkit/core-native: this CPU has neither AVX-512F nor AVX2+FMA");
    return nullptr;
  }
  return undefined(env);
}

// sgemm(heap, m, n, k, aByte, rsa, csa, bByte, rsb, csb, cByte, ldc)
napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value args[12];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  if (argc < 12) return throw_range(env, "sgemm: expected 12 arguments (heap, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc)");
  if (!check_ready(env)) return nullptr;
  uint8_t *base;
  size_t length;
  if (!heap_info(env, args[0], &base, &length)) return throw_range(env, "sgemm: heap must be an ArrayBuffer or a TypedArray");
  long d[3];
  bool pending = false;
  read_dims(env, args, 1, d);
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  double off[3];
  long s[5];
  const int offAt[3] = {4, 7, 10};
  const char *offNames[3] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    if (!get_double(env, args[offAt[i]], &off[i]) || !is_int(off[i], 0, 1.8e19))
      return throw_range(env, std::string("sgemm: byte offset ") + offNames[i] + " must be a non-negative integer");
  }
  napi_value sa[5] = {args[5], args[6], args[8], args[9], args[11]};
  const char *const sn[5] = {"rsa", "csa", "rsb", "csb", "ldc"};
  read_strides(env, sa, sn, s, 5);
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  const Gemm g = {d[0], d[1], d[2], s[0], s[1], s[2], s[3], s[4]};
  if (g.n > 0 && g.ldc < g.n) return throw_range(env, "sgemm: ldc must be at least n");
  if (!in_bounds(off[0], g.m, g.k, g.rsa, g.csa, length)) return throw_range(env, "sgemm: op(A) [m, k] at byte offset a runs outside the heap");
  if (!in_bounds(off[1], g.k, g.n, g.rsb, g.csb, length)) return throw_range(env, "sgemm: op(B) [k, n] at byte offset b runs outside the heap");
  if (!in_bounds(off[2], g.m, g.n, g.ldc, 1, length)) return throw_range(env, "sgemm: C [m, n] at byte offset c runs outside the heap");
  if (g.m == 0 || g.n == 0) return undefined(env);
  const float *a = (const float *)(base + (size_t)off[0]);
  const float *b = (const float *)(base + (size_t)off[1]);
  float *c = (float *)(base + (size_t)off[2]);
  const Batch batch = {&a, &b, &c, 1};
  g_out_of_memory.store(false);
  run_products(env, g, batch);
  if (g_out_of_memory.load()) return throw_oom(env);
  return undefined(env);
}

// sgemmBatch(heap, m, n, k, rsa, csa, rsb, csb, ldc, aBytes: Uint32Array, bBytes, cBytes)
napi_value SgemmBatch(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value args[12];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  if (argc < 12) return throw_range(env, "sgemmBatch: expected 12 arguments (heap, m, n, k, rsa, csa, rsb, csb, ldc, aBytes, bBytes, cBytes)");
  if (!check_ready(env)) return nullptr;
  uint8_t *base;
  size_t length;
  if (!heap_info(env, args[0], &base, &length)) return throw_range(env, "sgemmBatch: heap must be an ArrayBuffer or a TypedArray");
  long d[3];
  bool pending = false;
  read_dims(env, args, 1, d);
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  long s[5];
  const char *const sn[5] = {"rsa", "csa", "rsb", "csb", "ldc"};
  read_strides(env, args + 4, sn, s, 5);
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  const Gemm g = {d[0], d[1], d[2], s[0], s[1], s[2], s[3], s[4]};
  if (g.n > 0 && g.ldc < g.n) return throw_range(env, "sgemmBatch: ldc must be at least n");
  const uint32_t *ao, *bo, *co;
  size_t na, nb, nc;
  if (!u32_array(env, args[9], &ao, &na) || !u32_array(env, args[10], &bo, &nb) || !u32_array(env, args[11], &co, &nc))
    return throw_range(env, "sgemmBatch: aBytes, bBytes and cBytes must be Uint32Arrays of byte offsets");
  if (na != nb || na != nc) return throw_range(env, "sgemmBatch: aBytes, bBytes and cBytes must have the same length");
  for (size_t i = 0; i < na; i++) {
    if (!in_bounds(ao[i], g.m, g.k, g.rsa, g.csa, length))
      return throw_range(env, "sgemmBatch: op(A) of batch entry " + std::to_string(i) + " runs outside the heap");
    if (!in_bounds(bo[i], g.k, g.n, g.rsb, g.csb, length))
      return throw_range(env, "sgemmBatch: op(B) of batch entry " + std::to_string(i) + " runs outside the heap");
    if (!in_bounds(co[i], g.m, g.n, g.ldc, 1, length))
      return throw_range(env, "sgemmBatch: C of batch entry " + std::to_string(i) + " runs outside the heap");
  }
  if (g.m == 0 || g.n == 0 || na == 0) return undefined(env);
  std::vector<const float *> ap(na), bp(na);
  std::vector<float *> cp(na);
  for (size_t i = 0; i < na; i++) {
    ap[i] = (const float *)(base + ao[i]);
    bp[i] = (const float *)(base + bo[i]);
    cp[i] = (float *)(base + co[i]);
  }
  const Batch batch = {ap.data(), bp.data(), cp.data(), (long)na};
  g_out_of_memory.store(false);
  run_products(env, g, batch);
  if (g_out_of_memory.load()) return throw_oom(env);
  return undefined(env);
}

napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

napi_value Isa(napi_env env, napi_callback_info) { return make_string(env, g_isa ? g_isa->name : ""); }

napi_value SetIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  char name[32] = {0};
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, args[0], name, sizeof(name), &len) != napi_ok)
    return throw_range(env, "setIsa: expected 'avx512f', 'avx2' or 'auto'");
  const IsaKernels *best = detect_isa();
  const IsaKernels *want = nullptr;
  if (std::strcmp(name, "auto") == 0) want = best;
#if LLMKIT_X86_GCC
  else if (std::strcmp(name, "avx512f") == 0 && best == &llmkit_avx512::kernels) want = best;
  else if (std::strcmp(name, "avx2") == 0 && best && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    want = &llmkit_avx2::kernels;
#endif
  napi_value result;
  if (want) {
    want->init();
    g_isa = want;
  }
  napi_get_boolean(env, want != nullptr, &result);
  return result;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  double x;
  if (argc < 1 || !get_double(env, args[0], &x) || !is_int(x, 1, 256))
    return throw_range(env, "setThreads: expected an integer from 1 to 256");
  g_threads = (int)x;
  return undefined(env);
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, g_threads, &v);
  return v;
}

napi_value SetParallelThreshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  double x;
  if (argc < 1 || !get_double(env, args[0], &x) || !(x >= 0))
    return throw_range(env, "setParallelThreshold: expected a non-negative number of flops");
  g_parallel_flops = x;
  return undefined(env);
}

napi_value ParallelThreshold(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_double(env, g_parallel_flops, &v);
  return v;
}

}  // namespace

NAPI_MODULE_INIT() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_isa = detect_isa();
    if (g_isa) g_isa->init();
#if LLMKIT_X86_GCC
    if (llmkit_avx2::kernels.init && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      llmkit_avx2::kernels.init();
#endif
    const unsigned hw = std::thread::hardware_concurrency();
    g_threads = hw > 0 ? (int)hw : 1;
  });
  const napi_property_descriptor props[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgemmBatch", nullptr, SgemmBatch, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setParallelThreshold", nullptr, SetParallelThreshold, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"parallelThreshold", nullptr, ParallelThreshold, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
