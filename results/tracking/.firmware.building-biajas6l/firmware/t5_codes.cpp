#include "t5_codes.h"

void t5_codes(t5_code_t codes[23], result_t layer11_out[1]) {
    #pragma HLS ARRAY_RESHAPE variable=codes complete dim=0
    #pragma HLS ARRAY_PARTITION variable=layer11_out complete dim=0
    #pragma HLS INTERFACE ap_vld port=codes,layer11_out
    #pragma HLS PIPELINE
    input_t inputs[23];
    #pragma HLS ARRAY_PARTITION variable=inputs complete dim=0
    t5_input_stage(codes, inputs);
    t5(inputs, layer11_out);
}
