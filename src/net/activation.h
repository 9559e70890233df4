/* activation.h — neuron non-linearities and their derivatives.
 *
 * The derivative is written in terms of the activation's *output* a (and its
 * input z for ReLU) because that is what the backward pass has at hand. */
#ifndef MT_NET_ACTIVATION_H
#define MT_NET_ACTIVATION_H

#include <math.h>

#include "memtrain.h"

/* a = f(z) elementwise. */
void activation_forward(mt_activation f, const float *z, float *a, int n);

/* e^x as the sigmoid computes it: within 2 ulp of expf on [-87, 88], clamped outside
 * (so e^x stays finite and non-zero); exposed for its test. */
float activation_exp(float x);

/* d[i] *= f'(z[i]) given a = f(z). */
void activation_backward(mt_activation f, const float *z, const float *a, float *d, int n);

#endif
