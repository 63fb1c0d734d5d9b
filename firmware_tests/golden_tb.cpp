// Golden-vector testbench for an fpga-nn build (io_parallel), compiled with plain g++ and the
// ap_types headers hls4ml ships: no vendor tool. It feeds vectors/inputs.npy through the HLS
// top function and requires every output to equal vectors/expected.npy (the offline QKeras
// prediction) exactly. Prints "N passed, M failed" (events) and exits 1 on any failure.
//
// Build (see test_firmware_tb.py):
//   g++ -O2 -std=c++14 -I<project> -I<project>/firmware/ap_types -DTOP=<name> -DTOP_HEADER='"firmware/<name>.h"'
//       -DFPGA_NN_N_IN=<inputs per event> -DFPGA_NN_N_OUT=<outputs per event> golden_tb.cpp <project>/firmware/<name>.cpp
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include TOP_HEADER

namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
} // namespace nnet

// Minimal reader for a C-ordered little-endian float32 .npy file.
static std::vector<float> read_npy_f4(const std::string &path, size_t &rows) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "cannot open %s\n", path.c_str());
        std::exit(2);
    }
    char magic[6];
    f.read(magic, 6);
    unsigned char ver[2];
    f.read(reinterpret_cast<char *>(ver), 2);
    unsigned int hlen = 0;
    if (ver[0] == 1) {
        unsigned short h;
        f.read(reinterpret_cast<char *>(&h), 2);
        hlen = h;
    } else {
        f.read(reinterpret_cast<char *>(&hlen), 4);
    }
    std::string header(hlen, ' ');
    f.read(&header[0], hlen);
    if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
        std::fprintf(stderr, "%s: expected a C-ordered float32 array, header %s\n", path.c_str(), header.c_str());
        std::exit(2);
    }
    size_t open = header.find('('), close = header.find(')');
    std::stringstream shape(header.substr(open + 1, close - open - 1));
    size_t total = 1, dim;
    char comma;
    rows = 0;
    while (shape >> dim) {
        if (rows == 0)
            rows = dim;
        total *= dim;
        shape >> comma;
    }
    std::vector<float> data(total);
    f.read(reinterpret_cast<char *>(data.data()), total * sizeof(float));
    if (!f) {
        std::fprintf(stderr, "%s: truncated data\n", path.c_str());
        std::exit(2);
    }
    return data;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUTS.npy EXPECTED.npy\n", argv[0]);
        return 2;
    }
    size_t n_events = 0, n_expected = 0;
    std::vector<float> x = read_npy_f4(argv[1], n_events);
    std::vector<float> y = read_npy_f4(argv[2], n_expected);
    if (n_events != n_expected || x.size() != n_events * FPGA_NN_N_IN || y.size() != n_events * FPGA_NN_N_OUT) {
        std::fprintf(stderr, "vector sizes disagree: %zu inputs, %zu expected rows\n", n_events, n_expected);
        return 2;
    }
    size_t passed = 0, failed = 0;
    for (size_t e = 0; e < n_events; ++e) {
        input_t in[FPGA_NN_N_IN];
        result_t out[FPGA_NN_N_OUT];
        for (int i = 0; i < FPGA_NN_N_IN; ++i)
            in[i] = (double)x[e * FPGA_NN_N_IN + i];
        TOP(in, out);
        bool ok = true;
        for (int j = 0; j < FPGA_NN_N_OUT; ++j) {
            double got = out[j].to_double(), want = (double)y[e * FPGA_NN_N_OUT + j];
            if (got != want) {
                ok = false;
                if (failed < 10)
                    std::printf("event %zu output %d: firmware %.17g, offline %.17g\n", e, j, got, want);
            }
        }
        ok ? ++passed : ++failed;
    }
    std::printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
