#ifndef T5_CODES_H_
#define T5_CODES_H_

#include "t5.h"
#include "t5_input_stage.h"

// Top function for synthesis: the input stage in front of the network.
void t5_codes(t5_code_t codes[23], result_t layer11_out[1]);

#endif
