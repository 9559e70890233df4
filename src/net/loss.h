/* loss.h — softmax output with cross-entropy loss.
 *
 * For logits z and one-hot target t, L = -log softmax(z)_label and
 * -dL/dz_k = t_k - softmax(z)_k: the error the output layer's update uses. */
#ifndef MT_NET_LOSS_H
#define MT_NET_LOSS_H

/* p = softmax(z) (numerically stable: shifted by max z).  Returns argmax z
 * (lowest index on ties). */
int softmax(const float *z, float *p, int n);

/* e_k = [k == label] - p_k; returns the loss -log p_label. */
double cross_entropy_error(const float *p, int label, float *e, int n);

#endif
