#include "firmware/t5.cpp"
#include "t5_bridge.cpp"
