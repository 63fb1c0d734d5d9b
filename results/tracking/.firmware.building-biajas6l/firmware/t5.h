#ifndef T5_H_
#define T5_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"

#include "defines.h"


// Prototype of top level function for C-synthesis
void t5(
    input_t inputs[23],
    result_t layer11_out[1]
);

// hls-fpga-machine-learning insert emulator-defines


#endif
