//Numpy array shape [1]
//Min 0.421875000000
//Max 0.421875000000
//Number of zeros 0

#ifndef B8_H_
#define B8_H_

bias8_t b8[1] = {0.421875};


#endif
