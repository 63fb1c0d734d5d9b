// Cycle-by-cycle Verilator testbench for an alkaid pipeline: one input vector per `hold` clocks,
// the output port sampled after every rising edge. Latency and initiation interval are read off
// the recorded output stream by fpga_nn.hardware.rtl, not assumed.
//
// Compile-time: DUT (Verilated class), DUT_HEADER, N_INP, N_OUT, INP_BW, OUT_BW.
// Usage: stream_tb INPUTS.bin OUTPUTS.bin N_SAMPLES HOLD EXTRA_CYCLES
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "ioutil.hh"
#include "verilated.h"
#include DUT_HEADER

int main(int argc, char **argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s INPUTS.bin OUTPUTS.bin N_SAMPLES HOLD EXTRA_CYCLES\n", argv[0]);
        return 2;
    }
    const size_t n = std::strtoull(argv[3], nullptr, 10);
    const size_t hold = std::strtoull(argv[4], nullptr, 10);
    const size_t extra = std::strtoull(argv[5], nullptr, 10);
    std::vector<int64_t> inp(n * N_INP), zeros(N_INP, 0);
    FILE *fi = std::fopen(argv[1], "rb");
    if (!fi || std::fread(inp.data(), sizeof(int64_t), inp.size(), fi) != inp.size()) {
        std::fprintf(stderr, "cannot read %zu input words from %s\n", inp.size(), argv[1]);
        return 1;
    }
    std::fclose(fi);

    const size_t cycles = n * hold + extra;
    std::vector<int64_t> out(cycles * N_OUT);
    auto dut = std::make_unique<DUT>();
    for (size_t c = 0; c < cycles; ++c) {
        const size_t i = c / hold;
        write_input<N_INP, INP_BW>(dut->model_inp, i < n ? &inp[i * N_INP] : zeros.data());
        dut->clk = 0;
        dut->eval();
        dut->clk = 1;
        dut->eval();
        read_output<N_OUT, OUT_BW>(dut->model_out, &out[c * N_OUT]);
    }
    dut->final();

    FILE *fo = std::fopen(argv[2], "wb");
    if (!fo || std::fwrite(out.data(), sizeof(int64_t), out.size(), fo) != out.size()) {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    std::fclose(fo);
    std::printf("%zu cycles simulated\n", cycles);
    return 0;
}
