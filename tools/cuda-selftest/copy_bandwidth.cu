// Device-to-device copy bandwidth (the memory ceiling a decode step is measured against): bytes read + bytes written
// per second for a 2 GiB cudaMemcpyDeviceToDevice, median of 10 runs timed with CUDA events.
// Build and run on the GPU machine: nvcc -O2 -arch=sm_90 tools/cuda-selftest/copy_bandwidth.cu -o /tmp/bw && /tmp/bw
#include <algorithm>
#include <cstdio>
#include <vector>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t err_ = (x); if (err_ != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(err_), __FILE__, __LINE__); return 2; } } while (0)

int main() {
    const size_t bytes = 2ull << 30;
    char *a, *b;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&b, bytes));
    CK(cudaMemset(a, 1, bytes));
    cudaEvent_t s, e;
    CK(cudaEventCreate(&s));
    CK(cudaEventCreate(&e));
    CK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));
    std::vector<float> gbs;
    for (int i = 0; i < 10; ++i) {
        CK(cudaEventRecord(s));
        CK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));
        CK(cudaEventRecord(e));
        CK(cudaEventSynchronize(e));
        float ms = 0;
        CK(cudaEventElapsedTime(&ms, s, e));
        gbs.push_back(2.0 * bytes / (ms * 1e6));
    }
    std::sort(gbs.begin(), gbs.end());
    printf("device-to-device copy: %.0f GB/s (read + write, median of 10 x 2 GiB)\n", gbs[5]);
    return 0;
}
