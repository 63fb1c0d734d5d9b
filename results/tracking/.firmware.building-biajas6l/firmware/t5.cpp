#include <iostream>

#include "t5.h"
#include "parameters.h"


void t5(
    input_t inputs[23],
    result_t layer11_out[1]
) {

    // hls-fpga-machine-learning insert IO
    #pragma HLS ARRAY_RESHAPE variable=inputs complete dim=0
    #pragma HLS ARRAY_PARTITION variable=layer11_out complete dim=0
    #pragma HLS INTERFACE ap_vld port=inputs,layer11_out 
    #pragma HLS PIPELINE

    // hls-fpga-machine-learning insert load weights

    // ****************************************
    // NETWORK INSTANTIATION
    // ****************************************

    // hls-fpga-machine-learning insert layers

    hidden1_result_t layer2_out[32];
    #pragma HLS ARRAY_PARTITION variable=layer2_out complete dim=0

    layer4_t layer4_out[32];
    #pragma HLS ARRAY_PARTITION variable=layer4_out complete dim=0

    hidden2_result_t layer5_out[32];
    #pragma HLS ARRAY_PARTITION variable=layer5_out complete dim=0

    layer7_t layer7_out[32];
    #pragma HLS ARRAY_PARTITION variable=layer7_out complete dim=0

    layer8_t layer8_out[1];
    #pragma HLS ARRAY_PARTITION variable=layer8_out complete dim=0

    nnet::dense<input_t, hidden1_result_t, config2>(inputs, layer2_out, w2, b2); // hidden1

    nnet::relu<hidden1_result_t, layer4_t, relu_config4>(layer2_out, layer4_out); // hidden1_relu

    nnet::dense<layer4_t, hidden2_result_t, config5>(layer4_out, layer5_out, w5, b5); // hidden2

    nnet::relu<hidden2_result_t, layer7_t, relu_config7>(layer5_out, layer7_out); // hidden2_relu

    nnet::dense<layer7_t, layer8_t, config8>(layer7_out, layer8_out, w8, b8); // output
#ifndef __SYNTHESIS__
    nnet::save_layer_output<layer8_t>(layer8_out, "output", 1);
#endif

    nnet::sigmoid<layer8_t, result_t, sigmoid_config11>(layer8_out, layer11_out); // sigmoid

}

