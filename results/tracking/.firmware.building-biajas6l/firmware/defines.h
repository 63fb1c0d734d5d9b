#ifndef DEFINES_H_
#define DEFINES_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "nnet_utils/nnet_types.h"
#include <array>
#include <cstddef>
#include <cstdio>
#include <tuple>
#include <tuple>


// hls-fpga-machine-learning insert numbers

// hls-fpga-machine-learning insert layer-precision
typedef ap_ufixed<12,0,AP_RND_CONV,AP_SAT,0> input_t;
typedef ap_fixed<28,9> hidden1_accum_t;
typedef ap_fixed<28,9> hidden1_result_t;
typedef ap_fixed<10,3> weight2_t;
typedef ap_fixed<10,4> bias2_t;
typedef ap_uint<1> layer2_index;
typedef ap_ufixed<10,4,AP_RND_CONV,AP_SAT,0> layer4_t;
typedef ap_fixed<18,8> hidden1_relu_table_t;
typedef ap_fixed<26,13> hidden2_accum_t;
typedef ap_fixed<26,13> hidden2_result_t;
typedef ap_fixed<10,3> weight5_t;
typedef ap_fixed<10,4> bias5_t;
typedef ap_uint<1> layer5_index;
typedef ap_ufixed<10,4,AP_RND_CONV,AP_SAT,0> layer7_t;
typedef ap_fixed<18,8> hidden2_relu_table_t;
typedef ap_fixed<26,13> output_accum_t;
typedef ap_fixed<12,6,AP_RND_CONV,AP_SAT,0> layer8_t;
typedef ap_fixed<10,3> weight8_t;
typedef ap_fixed<10,4> bias8_t;
typedef ap_uint<1> layer8_index;
typedef ap_fixed<32,16> result_t;
typedef ap_fixed<18,8> sigmoid_table_t;

// hls-fpga-machine-learning insert emulator-defines


#endif
