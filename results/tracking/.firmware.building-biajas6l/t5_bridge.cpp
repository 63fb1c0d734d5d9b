#ifndef T5_BRIDGE_H_
#define T5_BRIDGE_H_

#include "firmware/t5.h"
#include "firmware/nnet_utils/nnet_helpers.h"
#include <algorithm>
#include <map>

// hls-fpga-machine-learning insert bram

namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
} // namespace nnet

extern "C" {

struct trace_data {
    const char *name;
    void *data;
};

void allocate_trace_storage(size_t element_size) {
    nnet::trace_enabled = true;
    nnet::trace_outputs = new std::map<std::string, void *>;
    nnet::trace_type_size = element_size;
    nnet::trace_outputs->insert(std::pair<std::string, void *>("output", (void *) malloc(1 * element_size)));
}

void free_trace_storage() {
    for (std::map<std::string, void *>::iterator i = nnet::trace_outputs->begin(); i != nnet::trace_outputs->end(); i++) {
        void *ptr = i->second;
        free(ptr);
    }
    nnet::trace_outputs->clear();
    delete nnet::trace_outputs;
    nnet::trace_outputs = NULL;
    nnet::trace_enabled = false;
}

void collect_trace_output(struct trace_data *c_trace_outputs) {
    int ii = 0;
    for (std::map<std::string, void *>::iterator i = nnet::trace_outputs->begin(); i != nnet::trace_outputs->end(); i++) {
        c_trace_outputs[ii].name = i->first.c_str();
        c_trace_outputs[ii].data = i->second;
        ii++;
    }
}

// hls-fpga-machine-learning insert tb_input_writer

// Wrapper of top level function for Python bridge
void t5_float(
    float *inputs,
    float *layer11_out
) {

    input_t inputs_ap[23];
    nnet::convert_data<float, input_t, 23>(inputs, inputs_ap);

    result_t layer11_out_ap[1];

    t5(inputs_ap,layer11_out_ap);

    nnet::convert_data<result_t, float, 1>(layer11_out_ap, layer11_out);
}

void t5_double(
    double *inputs,
    double *layer11_out
) {

    input_t inputs_ap[23];
    nnet::convert_data<double, input_t, 23>(inputs, inputs_ap);

    result_t layer11_out_ap[1];

    t5(inputs_ap,layer11_out_ap);

    nnet::convert_data<result_t, double, 1>(layer11_out_ap, layer11_out);
}
}

#endif

// fpga-nn: C-simulation entries of the input stage
#include "firmware/t5_codes.cpp"
extern "C" {
void t5_codes_double(double *codes, double *out) {
    t5_code_t c[23];
    for (int i = 0; i < 23; i++) c[i] = (unsigned long long)codes[i];
    result_t y[1];
    t5_codes(c, y);
    nnet::convert_data<result_t, double, 1>(y, out);
}
void t5_stage_double(double *codes, double *out) {
    t5_code_t c[23];
    for (int i = 0; i < 23; i++) c[i] = (unsigned long long)codes[i];
    input_t x[23];
    t5_input_stage(c, x);
    nnet::convert_data<input_t, double, 23>(x, out);
}
}
