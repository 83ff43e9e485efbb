// LoRT decode-time CUDA kernels: one token step of a Llama-family transformer on the device.
//
// Build (the committed PTX; see kernels/README.md for why compute_75):
//   nvcc -ptx -arch=compute_75 kernels/lort_kernel.cu -o kernels/lort_kernel.ptx
//
// Conventions, shared with ai.lort.engine.cuda.CudaKernels (the Java launcher):
// - every kernel is extern "C" so its PTX name is the C name;
// - activations, norms, rope tables and the KV cache are float32;
// - activation buffers are rows × cols row-major, one row per token of a batch; kernels that take
//   a batch run its token t as blockIdx.y (the weights are then re-read from L2, not from memory);
// - matrix-vector kernels run one warp per output row, blockDim.x = MATVEC_THREADS;
// - the position of a step is read from device memory (int* pos, uploaded by the host when it
//   changes), so that one token step launches the same kernels with the same arguments as the
//   previous one and can be replayed as a CUDA graph.
//
// The ternary kernel reads the t2-g64 layout exactly as ai.lort.pack.TernaryPacker writes it and
// the .lort file stores it: per row, groups of 64 weights in 16 bytes; weight 64g + 16k + i
// (0 <= k < 4, 0 <= i < 16) in byte 16g + i at bits 2k..2k+1, as the code t + 1. Read as
// little-endian 32-bit words, word w = 4g + q of a row holds bytes 16g + 4q + j (j < 4) in its bits
// 8j..8j+7, so code k of byte j is (word >> (8j + 2k)) & 3 and belongs to column
// 64g + 16k + 4q + j. A warp reads 32 consecutive words (128 bytes), fully coalesced.
// Since the code is t + 1, sum(t * x) = sum(code * x) - sum(x): one multiply-add per weight.
//
// t3-b5 (format 1.1) packs five weights to a byte, base 3: weight 5g + k of a row is digit k of
// byte g (byte = sum_k code_k 3^k, code = t + 1), rows of ceil(cols / 5) bytes, so a row starts on
// any byte; a warp reads 32 consecutive bytes. row-f16 scales are binary16 instead of float32. A
// layer stored in a Hadamard-rotated basis gets its input rotated first (lort_hadamard). Kept
// tensors quantized in groups of 32 (q8-g32, q4-g32) have their own matvec and embedding kernels.

#include <cuda_fp16.h>
#include <cuda_bf16.h>

#define FULL_MASK 0xffffffffu
#define MATVEC_THREADS 256
// Blocks of lort_ternary_fused; __launch_bounds__ keeps its registers within what 1024 threads may
// use on every target (without it, sm_75 code takes 66 registers a thread and the launch fails).
#define FUSED_THREADS 1024

__device__ __forceinline__ float warp_sum(float v) {
    // Butterfly order; the Java transcription (TernaryKernelTranscript) adds lanes in this order.
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

// Block-wide sum; every thread gets the result. scratch holds 32 floats.
__device__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -INFINITY;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

__device__ __forceinline__ float load_f(const float* p, size_t i) { return __ldg(p + i); }
__device__ __forceinline__ float load_f(const __half* p, size_t i) { return __half2float(p[i]); }
__device__ __forceinline__ float load_f(const __nv_bfloat16* p, size_t i) { return __bfloat162float(p[i]); }

// 16-byte chunk of 8 half-precision values times x[c..c+7].
template <typename T>
__device__ __forceinline__ float dot8(const T* w, const float* x) {
    uint4 raw = __ldg(reinterpret_cast<const uint4*>(w));
    const T* h = reinterpret_cast<const T*>(&raw);
    float4 x0 = __ldg(reinterpret_cast<const float4*>(x));
    float4 x1 = __ldg(reinterpret_cast<const float4*>(x + 4));
    return load_f(h, 0) * x0.x + load_f(h, 1) * x0.y + load_f(h, 2) * x0.z + load_f(h, 3) * x0.w
         + load_f(h, 4) * x1.x + load_f(h, 5) * x1.y + load_f(h, 6) * x1.z + load_f(h, 7) * x1.w;
}

// ---------------------------------------------------------------------------------------------
// Ternary + low-rank: y = s ∘ (T x) + B (A x)
// ---------------------------------------------------------------------------------------------

// Phase 1: u = A x, A rank × cols float16 row-major. One warp per row of A; token blockIdx.y.
extern "C" __global__ void lort_lowrank_a(const __half* __restrict__ a, const float* __restrict__ x,
                                          float* __restrict__ u, int rank, int cols) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rank) return;
    x += (size_t)blockIdx.y * cols;
    u += (size_t)blockIdx.y * rank;
    const __half* ar = a + (size_t)row * cols;
    float acc = 0.0f;
    for (int c = lane; c < cols; c += 32) acc += __half2float(ar[c]) * x[c];
    acc = warp_sum(acc);
    if (lane == 0) u[row] = acc;
}

// One lane's share of a t2-g64 row: acc += sum code*x, sx += sum x over the words lane, lane + 32, ...
// Full words read x as float4 when x is 16-byte aligned (x[t] of a batch is when cols % 4 == 0).
__device__ __forceinline__ void ternary_row(const unsigned int* __restrict__ cr, const float* __restrict__ x,
                                            int cols, int lane, float& acc, float& sx) {
    int words = (cols + 63) / 64 * 4;  // rowBytes(cols) / 4
    int fullCols = (reinterpret_cast<size_t>(x) & 15) == 0 ? cols : 0;  // no float4 loads if unaligned
    for (int w = lane; w < words; w += 32) {
        unsigned int bits = __ldg(cr + w);
        int base = (w >> 2) * 64 + (w & 3) * 4;  // column of code k=0, j=0
        if (base + 51 < fullCols) {  // the word's last column, base + 48 + 3, is inside the row
            for (int k = 0; k < 4; k++) {
                float4 xv = __ldg(reinterpret_cast<const float4*>(x + base + 16 * k));
                unsigned int q = bits >> (2 * k);
                acc += (float)(q & 3) * xv.x + (float)((q >> 8) & 3) * xv.y
                     + (float)((q >> 16) & 3) * xv.z + (float)((q >> 24) & 3) * xv.w;
                sx += (xv.x + xv.y) + (xv.z + xv.w);
            }
        } else {  // the last group of a row whose cols is not a multiple of 64: skip the padding
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) {
                    int c = base + 16 * k + j;
                    if (c < cols) {
                        float xv = x[c];
                        acc += (float)((bits >> (8 * j + 2 * k)) & 3) * xv;
                        sx += xv;
                    }
                }
            }
        }
    }
}

// One lane's share of a t3-b5 row (bytes lane, lane + 32, ...): acc += sum code*x, sx += sum x.
// The padding digits of a row's last byte (columns >= cols) are skipped.
__device__ __forceinline__ void trit_row(const unsigned char* __restrict__ cr, const float* __restrict__ x,
                                         int cols, int lane, float& acc, float& sx) {
    int bytes = (cols + 4) / 5;
    for (int g = lane; g < bytes; g += 32) {
        unsigned int v = __ldg(cr + g);
        int c = 5 * g;
        for (int k = 0; k < 5; k++, c++) {
            unsigned int digit = v % 3u;
            v /= 3u;
            if (c < cols) {
                float xv = x[c];
                acc += (float)digit * xv;
                sx += xv;
            }
        }
    }
}

// The packings, as row readers: Packing::row(codes, row, ...) adds one lane's share of the row.
struct T2G64 {
    static __device__ __forceinline__ void row(const void* codes, int row, const float* x, int cols, int lane,
                                               float& acc, float& sx) {
        ternary_row(reinterpret_cast<const unsigned int*>(codes) + (size_t)row * ((cols + 63) / 64 * 4), x, cols, lane, acc, sx);
    }
};

struct T3B5 {
    static __device__ __forceinline__ void row(const void* codes, int row, const float* x, int cols, int lane,
                                               float& acc, float& sx) {
        trit_row(reinterpret_cast<const unsigned char*>(codes) + (size_t)row * ((cols + 4) / 5), x, cols, lane, acc, sx);
    }
};

// Phase 2: y[r] = s[r] * (sum code*x - sum x) + sum_j B[r][j] u[j]. One warp per row; token blockIdx.y.
// S is the scales' type: float (row-f32) or __half (row-f16).
template <typename P, typename S>
__device__ __forceinline__ void ternary_matvec(const void* __restrict__ codes, const S* __restrict__ scales,
                                               const __half* __restrict__ b, const float* __restrict__ u,
                                               const float* __restrict__ x, float* __restrict__ y,
                                               int rows, int cols, int rank) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    x += (size_t)blockIdx.y * cols;
    u += (size_t)blockIdx.y * rank;
    y += (size_t)blockIdx.y * rows;
    float acc = 0.0f, sx = 0.0f;
    P::row(codes, row, x, cols, lane, acc, sx);
    float lr = 0.0f;
    const __half* br = b + (size_t)row * rank;
    for (int j = lane; j < rank; j += 32) lr += __half2float(br[j]) * u[j];
    acc = warp_sum(acc);
    sx = warp_sum(sx);
    lr = warp_sum(lr);
    if (lane == 0) y[row] = load_f(scales, row) * (acc - sx) + lr;
}

// Both phases in one launch (at 0.5B parameters a step is bound by the number of launches, not by
// bytes): every block first computes all of u = A x into shared memory, its warps taking the rows
// of A in turn, then each warp does one output row as ternary_matvec does. The cost is A read
// once per block, from L2; blocks of FUSED_THREADS (32 rows) keep that to rank/16 bytes per weight.
// Dynamic shared memory: rank floats.
template <typename P, typename S>
__device__ __forceinline__ void ternary_fused(const void* __restrict__ codes, const S* __restrict__ scales,
                                              const __half* __restrict__ a, const __half* __restrict__ b,
                                              const float* __restrict__ x, float* __restrict__ y,
                                              int rows, int cols, int rank) {
    extern __shared__ float su[];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x += (size_t)blockIdx.y * cols;
    y += (size_t)blockIdx.y * rows;
    // 16-byte loads of A (8 halves) when its rows and x are 16-byte aligned: every block reads all of A
    bool wide = (cols & 7) == 0 && (reinterpret_cast<size_t>(x) & 15) == 0;
    for (int j = warp; j < rank; j += warps) {
        const __half* ar = a + (size_t)j * cols;
        float acc = 0.0f;
        if (wide) {
            for (int c = lane * 8; c < cols; c += 256) acc += dot8(ar + c, x + c);
        } else {
            for (int c = lane; c < cols; c += 32) acc += __half2float(ar[c]) * x[c];
        }
        acc = warp_sum(acc);
        if (lane == 0) su[j] = acc;
    }
    __syncthreads();
    int row = blockIdx.x * warps + warp;
    if (row >= rows) return;  // after the barrier: every thread reached it
    float acc = 0.0f, sx = 0.0f;
    P::row(codes, row, x, cols, lane, acc, sx);
    float lr = 0.0f;
    const __half* br = b + (size_t)row * rank;
    for (int j = lane; j < rank; j += 32) lr += __half2float(br[j]) * su[j];
    acc = warp_sum(acc);
    sx = warp_sum(sx);
    lr = warp_sum(lr);
    if (lane == 0) y[row] = load_f(scales, row) * (acc - sx) + lr;
}

// One kernel per packing and scale encoding; the Java side (CudaKernels.ternarySuffix) picks the name.
#define LORT_TERNARY_KERNELS(SUFFIX, P, S)                                                                              \
    extern "C" __global__ void lort_ternary_matvec##SUFFIX(const void* __restrict__ codes, const S* __restrict__ scales,  \
            const __half* __restrict__ b, const float* __restrict__ u, const float* __restrict__ x, float* __restrict__ y, \
            int rows, int cols, int rank) {                                                                            \
        ternary_matvec<P, S>(codes, scales, b, u, x, y, rows, cols, rank);                                             \
    }                                                                                                                  \
    extern "C" __global__ void __launch_bounds__(FUSED_THREADS) lort_ternary_fused##SUFFIX(const void* __restrict__ codes, \
            const S* __restrict__ scales, const __half* __restrict__ a, const __half* __restrict__ b,                  \
            const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int rank) {                        \
        ternary_fused<P, S>(codes, scales, a, b, x, y, rows, cols, rank);                                              \
    }

LORT_TERNARY_KERNELS(, T2G64, float)
LORT_TERNARY_KERNELS(_t2_f16, T2G64, __half)
LORT_TERNARY_KERNELS(_t3_f32, T3B5, float)
LORT_TERNARY_KERNELS(_t3_f16, T3B5, __half)

// The seeded Hadamard rotation of a layer's input, R = H D (docs/FORMAT.md, rotation "hadamard"):
// out[t] = R x[t], cols = a whole number of blocks of `block` inputs (a power of two). One CUDA block
// per rotation block (blockIdx.x) and token (blockIdx.y): signs, then the butterflies (j, j + len)
// for len = 1, 2, ..., block / 2, then the scale norm = 1/sqrt(block), each element through the same
// operations in the same order as the CPU's Hadamard.rotate (so the same bits). Dynamic shared
// memory: block floats.
extern "C" __global__ void lort_hadamard(const float* __restrict__ x, const float* __restrict__ signs,
                                         float* __restrict__ out, int cols, int block, float norm) {
    extern __shared__ float v[];
    size_t at = (size_t)blockIdx.y * cols + (size_t)blockIdx.x * block;
    const float* sb = signs + (size_t)blockIdx.x * block;
    for (int i = threadIdx.x; i < block; i += blockDim.x) v[i] = x[at + i] * sb[i];
    __syncthreads();
    for (int len = 1; len < block; len <<= 1) {
        for (int p = threadIdx.x; p < (block >> 1); p += blockDim.x) {
            int j = (p / len) * (len << 1) + p % len;  // the lower element of pair p
            float a = v[j], b = v[j + len];
            v[j] = a + b;
            v[j + len] = a - b;
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < block; i += blockDim.x) out[at + i] = v[i] * norm;
}

// ---------------------------------------------------------------------------------------------
// Dense matrix-vector products (uncompressed tensors, the output head): y = W x, W rows × cols,
// one warp per row, token blockIdx.y. Rows are vector-loaded when cols is a multiple of 8 (4 for
// float32): the host only passes 256-byte aligned allocations, so every such row is aligned.
// ---------------------------------------------------------------------------------------------

template <typename T>
__device__ void matvec_half(const T* __restrict__ w, const float* __restrict__ x, float* __restrict__ y,
                            int rows, int cols) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    x += (size_t)blockIdx.y * cols;
    y += (size_t)blockIdx.y * rows;
    const T* wr = w + (size_t)row * cols;
    float acc = 0.0f;
    // Vector loads need 16-byte aligned rows: cols a multiple of 8 (the host aligns base pointers).
    if ((cols & 7) == 0) {
        for (int c = lane * 8; c < cols; c += 256) acc += dot8(wr + c, x + c);
    } else {
        for (int c = lane; c < cols; c += 32) acc += load_f(wr, c) * x[c];
    }
    acc = warp_sum(acc);
    if (lane == 0) y[row] = acc;
}

extern "C" __global__ void lort_matvec_bf16(const __nv_bfloat16* __restrict__ w, const float* __restrict__ x,
                                            float* __restrict__ y, int rows, int cols) {
    matvec_half(w, x, y, rows, cols);
}

extern "C" __global__ void lort_matvec_f16(const __half* __restrict__ w, const float* __restrict__ x,
                                           float* __restrict__ y, int rows, int cols) {
    matvec_half(w, x, y, rows, cols);
}

extern "C" __global__ void lort_matvec_f32(const float* __restrict__ w, const float* __restrict__ x,
                                           float* __restrict__ y, int rows, int cols) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    x += (size_t)blockIdx.y * cols;
    y += (size_t)blockIdx.y * rows;
    const float* wr = w + (size_t)row * cols;
    float acc = 0.0f;
    if ((cols & 3) == 0) {
        for (int c = lane * 4; c < cols; c += 128) {
            float4 wv = __ldg(reinterpret_cast<const float4*>(wr + c));
            float4 xv = __ldg(reinterpret_cast<const float4*>(x + c));
            acc += wv.x * xv.x + wv.y * xv.y + wv.z * xv.z + wv.w * xv.w;
        }
    } else {
        for (int c = lane; c < cols; c += 32) acc += wr[c] * x[c];
    }
    acc = warp_sum(acc);
    if (lane == 0) y[row] = acc;
}

// ---------------------------------------------------------------------------------------------
// Group-quantized kept tensors (the output head, the embedding): q8-g32 and q4-g32. A row is
// `groups` groups of 32 weights (the last padded), each with a binary16 scale d; the scales of all
// rows follow all rows' codes. q8-g32: byte 32g + k of a row is the int8 code of weight 32g + k.
// q4-g32: byte 16g + k (k < 16) holds weight 32g + k in its low nibble and weight 32g + 16 + k in
// its high one, as n = code + 8. Weight = d * code. Rows are a multiple of 16 bytes, so with the
// host's 256-byte aligned allocations every row is 16-byte aligned and read as 32-bit words.
// ---------------------------------------------------------------------------------------------

// The two encodings as readers of 32-bit words: WORDS words per 32-weight group; first(w) is the
// first column of word w of a row; dot(v, c, x, cols) is word v's sum of code*x (columns past cols
// skipped); code(row, i) is weight i's integer code in a row's bytes.
struct Q8G32 {  // word w: columns 4w..4w+3
    static constexpr int WORDS = 8;
    static __device__ __forceinline__ int first(int w) { return 4 * w; }
    static __device__ __forceinline__ float dot(unsigned int v, int c, const float* __restrict__ x, int cols) {
        float s = 0.0f;
        for (int j = 0; j < 4; j++)
            if (c + j < cols) s += (float)(signed char)(v >> (8 * j)) * x[c + j];
        return s;
    }
    static __device__ __forceinline__ int code(const unsigned char* row, int i) { return (signed char)row[i]; }
};

struct Q4G32 {  // word w = 4g + q: bytes 16g + 4q + j, columns 32g + 4q + j (low nibbles) and 32g + 16 + 4q + j (high)
    static constexpr int WORDS = 4;
    static __device__ __forceinline__ int first(int w) { return 32 * (w >> 2) + 4 * (w & 3); }
    static __device__ __forceinline__ float dot(unsigned int v, int c, const float* __restrict__ x, int cols) {
        float s = 0.0f;
        for (int j = 0; j < 4; j++) {
            if (c + j < cols) s += (float)((int)((v >> (8 * j)) & 15u) - 8) * x[c + j];
            if (c + 16 + j < cols) s += (float)((int)((v >> (8 * j + 4)) & 15u) - 8) * x[c + 16 + j];
        }
        return s;
    }
    static __device__ __forceinline__ int code(const unsigned char* row, int i) {
        unsigned int byte = row[16 * (i >> 5) + (i & 15)];
        return (int)((i & 31) < 16 ? byte & 15u : byte >> 4) - 8;
    }
};

// y = W x, one warp per row, token blockIdx.y; lane reads words w = lane, lane + 32, ... of the row
// and weighs each word's sum by its group's scale.
template <typename Q>
__device__ __forceinline__ void matvec_grouped(const unsigned int* __restrict__ codes, const __half* __restrict__ scales,
                                               const float* __restrict__ x, float* __restrict__ y,
                                               int rows, int cols, int groups) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    x += (size_t)blockIdx.y * cols;
    y += (size_t)blockIdx.y * rows;
    const unsigned int* cr = codes + (size_t)row * groups * Q::WORDS;
    const __half* sr = scales + (size_t)row * groups;
    float acc = 0.0f;
    for (int w = lane; w < groups * Q::WORDS; w += 32) {
        int c = Q::first(w);
        if (c >= cols) break;
        acc += __half2float(sr[w / Q::WORDS]) * Q::dot(__ldg(cr + w), c, x, cols);
    }
    acc = warp_sum(acc);
    if (lane == 0) y[row] = acc;
}

// out[t] = the dequantized row tokens[t] of a table; token t is blockIdx.y.
template <typename Q>
__device__ __forceinline__ void embed_grouped(const unsigned char* __restrict__ codes, const __half* __restrict__ scales,
                                              const int* tokens, float* out, int cols, int groups) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= cols) return;
    size_t row = (size_t)tokens[blockIdx.y];
    const unsigned char* cr = codes + row * groups * Q::WORDS * 4;
    out[(size_t)blockIdx.y * cols + i] = __half2float(scales[row * groups + (i >> 5)]) * (float)Q::code(cr, i);
}

extern "C" __global__ void lort_matvec_q8(const unsigned int* __restrict__ codes, const __half* __restrict__ scales,
                                          const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int groups) {
    matvec_grouped<Q8G32>(codes, scales, x, y, rows, cols, groups);
}

extern "C" __global__ void lort_matvec_q4(const unsigned int* __restrict__ codes, const __half* __restrict__ scales,
                                          const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int groups) {
    matvec_grouped<Q4G32>(codes, scales, x, y, rows, cols, groups);
}

extern "C" __global__ void lort_embed_q8(const unsigned char* __restrict__ codes, const __half* __restrict__ scales,
                                         const int* tokens, float* out, int cols, int groups) {
    embed_grouped<Q8G32>(codes, scales, tokens, out, cols, groups);
}

extern "C" __global__ void lort_embed_q4(const unsigned char* __restrict__ codes, const __half* __restrict__ scales,
                                         const int* tokens, float* out, int cols, int groups) {
    embed_grouped<Q4G32>(codes, scales, tokens, out, cols, groups);
}

// ---------------------------------------------------------------------------------------------
// The rest of a token step.
// ---------------------------------------------------------------------------------------------

// out[t] = table[tokens[t]], rows of the embedding table (vocab × cols); token t is blockIdx.y.
template <typename T>
__device__ void embed(const T* table, const int* tokens, float* out, int cols) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < cols) out[(size_t)blockIdx.y * cols + i] = load_f(table, (size_t)tokens[blockIdx.y] * cols + i);
}

extern "C" __global__ void lort_embed_bf16(const __nv_bfloat16* t, const int* tokens, float* out, int cols) { embed(t, tokens, out, cols); }
extern "C" __global__ void lort_embed_f16(const __half* t, const int* tokens, float* out, int cols) { embed(t, tokens, out, cols); }
extern "C" __global__ void lort_embed_f32(const float* t, const int* tokens, float* out, int cols) { embed(t, tokens, out, cols); }

// out[v] = x[v] * w / rms(x[v]) for each vector v = blockIdx.x of n floats (one vector for the
// layer norms, one per head for Qwen3's q_norm / k_norm). out may alias x.
extern "C" __global__ void lort_rmsnorm(const float* x, const float* __restrict__ w, float* out, int n, float eps) {
    __shared__ float scratch[32];
    const float* xv = x + (size_t)blockIdx.x * n;
    float* ov = out + (size_t)blockIdx.x * n;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) ss += xv[i] * xv[i];
    float inv = rsqrtf(block_sum(ss, scratch) / n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) ov[i] = xv[i] * inv * w[i];
}

// Rotary embedding in place over the nHeads heads of headDim of x[t] (token t = blockIdx.y) at
// position pos[0] + t. cos/sin tables are positions × headDim/2 (the host applies rope_theta and any
// scaling); pairs (i, i + headDim/2) are rotated, as Hugging Face checkpoints expect.
extern "C" __global__ void lort_rope(float* x, const float* __restrict__ cosTab, const float* __restrict__ sinTab,
                                     const int* pos, int nHeads, int headDim) {
    int half = headDim >> 1;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nHeads * half) return;
    int h = i / half, p = i - h * half;
    size_t at = (size_t)(pos[0] + blockIdx.y) * half + p;
    float c = cosTab[at], s = sinTab[at];
    float* hx = x + (size_t)blockIdx.y * nHeads * headDim + (size_t)h * headDim;
    float x0 = hx[p], x1 = hx[p + half];
    hx[p] = x0 * c - x1 * s;
    hx[p + half] = x1 * c + x0 * s;
}

// Causal attention of query q[t] (token t = blockIdx.y, at position pos[0] + t) over cache rows
// [first, pos[0] + t] of one layer's caches (rows of kvDim floats), first = 0 or the start of the
// sliding window. Grouped-query: head h = blockIdx.x reads kv head h / (nHeads / nKvHeads).
// Dynamic shared memory: (cacheRows + blockDim.x + 32) floats. Needs headDim <= blockDim.x.
extern "C" __global__ void lort_attention(const float* __restrict__ q, const float* __restrict__ kc,
                                          const float* __restrict__ vc, float* __restrict__ out,
                                          const int* pos, int nHeads, int nKvHeads, int headDim,
                                          float scale, int window, int cacheRows) {
    extern __shared__ float smem[];
    float* scores = smem;
    float* partial = smem + cacheRows;
    float* scratch = partial + blockDim.x;
    int h = blockIdx.x, kvh = h / (nHeads / nKvHeads);
    int kvDim = nKvHeads * headDim, qDim = nHeads * headDim;
    int last = pos[0] + blockIdx.y;
    int first = window > 0 ? max(0, last - window + 1) : 0;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const float* qh = q + (size_t)blockIdx.y * qDim + (size_t)h * headDim;
    kc += (size_t)kvh * headDim;
    vc += (size_t)kvh * headDim;
    for (int t = first + warp; t <= last; t += warps) {
        const float* kt = kc + (size_t)t * kvDim;
        float d = 0.0f;
        for (int i = lane; i < headDim; i += 32) d += qh[i] * kt[i];
        d = warp_sum(d);
        if (lane == 0) scores[t] = d * scale;
    }
    __syncthreads();
    float m = -INFINITY;
    for (int t = first + threadIdx.x; t <= last; t += blockDim.x) m = fmaxf(m, scores[t]);
    m = block_max(m, scratch);
    float sum = 0.0f;
    for (int t = first + threadIdx.x; t <= last; t += blockDim.x) {
        float e = __expf(scores[t] - m);
        scores[t] = e;
        sum += e;
    }
    float inv = 1.0f / block_sum(sum, scratch);  // block_sum's barriers also publish scores[]
    // groups of headDim threads each sum a stride of positions, then the groups are added
    int groups = blockDim.x / headDim, g = threadIdx.x / headDim, d = threadIdx.x - g * headDim;
    float acc = 0.0f;
    if (g < groups)
        for (int t = first + g; t <= last; t += groups) acc += scores[t] * vc[(size_t)t * kvDim + d];
    partial[threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.x < headDim) {
        float o = 0.0f;
        for (int i = 0; i < groups; i++) o += partial[i * headDim + threadIdx.x];
        out[(size_t)blockIdx.y * qDim + (size_t)h * headDim + threadIdx.x] = o * inv;
    }
}

// out = silu(gate) * up
extern "C" __global__ void lort_silu_mul(const float* gate, const float* up, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float g = gate[i];
        out[i] = g / (1.0f + __expf(-g)) * up[i];
    }
}

// out = a + b (residual adds, biases); out may alias a or b.
extern "C" __global__ void lort_add(const float* a, const float* b, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i];
}

// x[i] += bias[i % cols] over n rows of cols (projection biases)
extern "C" __global__ void lort_add_bias(float* x, const float* __restrict__ bias, int cols, int total) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < total) x[i] += bias[i % cols];
}

// out = a (KV-cache writes, picking a row); a kernel rather than a memcpy so that every op of a
// step is a launch on the one stream.
extern "C" __global__ void lort_copy(const float* a, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i];
}

// dst[pos[0] * rowFloats + i] = src[i] for i < count: the KV-cache write of a step's keys or values.
extern "C" __global__ void lort_copy_to_position(const float* src, float* dst, const int* pos, int rowFloats, int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) dst[(size_t)pos[0] * rowFloats + i] = src[i];
}

// out[0] = argmax(x), the lowest index among equal maxima (greedy sampling on the device: 4 bytes
// come back instead of the logits). One block of 1024 threads.
extern "C" __global__ void __launch_bounds__(1024) lort_argmax(const float* __restrict__ x, int n, int* out) {
    __shared__ float bestV[1024];
    __shared__ int bestI[1024];
    float v = -INFINITY;
    int idx = 0x7fffffff;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float xi = x[i];
        if (xi > v) { v = xi; idx = i; }
    }
    bestV[threadIdx.x] = v;
    bestI[threadIdx.x] = idx;
    __syncthreads();
    for (int s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float ov = bestV[threadIdx.x + s];
            int oi = bestI[threadIdx.x + s];
            if (ov > bestV[threadIdx.x] || (ov == bestV[threadIdx.x] && oi < bestI[threadIdx.x])) {
                bestV[threadIdx.x] = ov;
                bestI[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = bestI[0];
}
